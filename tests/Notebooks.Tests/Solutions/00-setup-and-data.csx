// Reference solutions of notebooks/00-setup-and-data.ipynb's exercises; see ExerciseTests.cs for the format.

//# replaces: long[] predictedLengths =
// Your prediction of Lengths for the four demo samples collated with maxLength = 5.
long[] predictedLengths = demoSamples.Select(s => (long)Math.Min(s.HistoryLength, 5)).ToArray();

//# replaces: double sameCategoryPerSample =
// Average count of same-category behaviours among the last maxLength behaviours of each training sample's history.
double sameCategoryPerSample = data.Train.Average(s => s.HistoryCategories.TakeLast(maxLength).Count(c => c == s.Category));
