/// <summary>
/// Runs before Main when named in DOTNET_STARTUP_HOOKS: a background thread calls GC.Collect() and
/// GC.WaitForPendingFinalizers() back to back for the life of the process, so any native handle whose managed owner
/// is not kept alive across its native call gets finalized mid-call. Prints how many collections ran at exit.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        long collections = 0;
        var thread = new Thread(() =>
        {
            while (true)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
            }
        }) { IsBackground = true, Name = "GC pressure (startup hook)" };
        thread.Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            Console.Error.WriteLine($"GcPressureHook: {Interlocked.Read(ref collections):N0} forced collections");
    }
}
