// Reference solutions of notebooks/07-comparison.ipynb's exercises; see ExerciseTests.cs for the format.

//# replaces: double MyRelaImpr(double modelAuc, double baseAuc)
double MyRelaImpr(double modelAuc, double baseAuc)
{
    return (modelAuc - 0.5) / (baseAuc - 0.5) - 1;   // DIN Eq. 10, AUCs measured from a random guesser's 0.5
}

//# replaces: string? ChooseModel(IReadOnlyList<ModelResult> results, double budgetMs)
string? ChooseModel(IReadOnlyList<ModelResult> results, double budgetMs)
{
    return results.Where(r => r.LatencyMsPer1000 <= budgetMs).MaxBy(r => r.Test.Auc)?.Model;   // null when none fits
}
