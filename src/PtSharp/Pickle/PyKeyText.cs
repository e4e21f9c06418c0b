namespace PtSharp.Pickle;

/// <summary>A dict key as text, the way a state-dict name or a value path spells it (<c>str()</c> of the key).</summary>
internal static class PyKeyText
{
    /// <summary>The key's text: strings as they are, <c>None</c>/<c>True</c>/<c>False</c>, numbers invariant.</summary>
    public static string Of(object? key) => key switch
    {
        string s => s,
        null => "None",
        bool b => b ? "True" : "False",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => key.ToString() ?? "",
    };
}
