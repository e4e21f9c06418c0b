using System.Text.Json.Nodes;

namespace PtSharp.Benchmarks;

/// <summary>The JSON object one --side-by-side case reports: median, min and max of its timed iterations.</summary>
internal static class TimingSummary
{
    /// <summary>
    /// Sorts <paramref name="times"/> (seconds, one per iteration) in place and summarizes them with the case's
    /// <paramref name="bytes"/> and the managed bytes <paramref name="allocated"/> as the caller measured them.
    /// </summary>
    public static JsonObject Of(double[] times, long bytes, long allocated)
    {
        Array.Sort(times);
        return new JsonObject
        {
            ["median_s"] = times[times.Length / 2],
            ["min_s"] = times[0],
            ["max_s"] = times[^1],
            ["iterations"] = times.Length,
            ["bytes"] = bytes,
            ["allocated_bytes"] = allocated,
        };
    }
}
