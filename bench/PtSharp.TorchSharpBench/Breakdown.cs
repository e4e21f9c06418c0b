using PtSharp.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>Where one LoadPt's managed allocation goes (bytes allocated on this thread by each phase).</summary>
internal static class Breakdown
{
    public static void Print(string name, nn.Module model, string path)
    {
        model.LoadPt(path); // warm
        Console.WriteLine($"{name}\tbreakdown\topen+index={Measure(() =>
        {
            using var c = PtSharp.Checkpoint.Open(path);
            _ = c.StateDict.Count;
        })}\tmodule.state_dict()={Measure(() => _ = model.state_dict())}\t" +
            $"entry walk={Measure(() => _ = ModuleEntries.Of(model))}\t" +
            $"OpenedStateDict={Measure(() => { using var o = OpenedStateDict.Open(path, null); })}\t" +
            $"LoadPt total={Measure(() => model.LoadPt(path))}");
    }

    private static long Measure(Action a)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        a();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}

internal static unsafe class Micro
{
    public static void Print()
    {
        using var t = torch.zeros(64, 64);
        Console.WriteLine($"micro\tshape={M(() => _ = t.shape)}\tsize(i)={M(() => _ = t.size(0))}\t" +
            $"bytes={M(() => { fixed (byte* p = t.bytes) { } })}\tview+narrow={M(() =>
            {
                using var f = t.view(-1);
                using var n = f.narrow(0, 0, 1);
            })}\tstorage_ptr={M(() => { using var s = t.storage<byte>(); _ = s.data_ptr(); })}\t" +
            $"is_contiguous={M(() => _ = t.is_contiguous())}\tdtype={M(() => _ = t.dtype)}\tnumel={M(() => _ = t.NumberOfElements)}");
    }

    private static long M(Action a)
    {
        a();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) a();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / 100;
    }
}
