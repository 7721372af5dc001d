using System.Globalization;
using System.Runtime.CompilerServices;

namespace CoordBot.Tests.Support;

/// <summary>
/// <c>COORDBOT_TEST_CULTURE=th-TH dotnet test</c> runs the whole suite with that culture as every thread's
/// default, so any date or number formatted or parsed with the current culture shows up as a failing
/// assertion somewhere (the suite's expectations are written in the invariant culture). CultureTests runs
/// the router under several cultures in every run; this switch widens the net to every test.
/// </summary>
internal static class TestCulture
{
    [ModuleInitializer]
    internal static void Apply()
    {
        if (Environment.GetEnvironmentVariable("COORDBOT_TEST_CULTURE") is not { Length: > 0 } name) return;
        var culture = CultureInfo.GetCultureInfo(name);
        CultureInfo.DefaultThreadCurrentCulture = culture;
        CultureInfo.DefaultThreadCurrentUICulture = culture;
        CultureInfo.CurrentCulture = culture;
        CultureInfo.CurrentUICulture = culture;
    }
}
