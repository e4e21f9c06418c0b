using System.CommandLine;
using System.Globalization;

namespace PtSharp.Cli.Options;

/// <summary>
/// A floating-point option whose bad values read "--atol 'abc' is not a number" instead of System.CommandLine's
/// "Cannot parse argument ... as expected type 'System.Double'".
/// </summary>
internal static class NumberOption
{
    /// <summary>Creates <paramref name="name"/> with <paramref name="defaultValue"/>.</summary>
    public static Option<double> Create(string name, string description, double defaultValue) => new(name)
    {
        Description = description,
        HelpName = "NUMBER",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) return value;
            result.AddError($"{name} '{text}' is not a number (examples: 0, 1e-6, 0.001)");
            return defaultValue;
        },
    };
}
