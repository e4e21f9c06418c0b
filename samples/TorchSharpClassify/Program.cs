// Loads a PyTorch model into TorchSharp with PtSharp.TorchSharp and prints the top-5 classes for one input.
//   dotnet run --project samples/TorchSharpClassify [-- model.pt]
// With no argument it loads samples/tiny_cnn_model.pt (a complete pickled CNN, torch.save(model)). A complete
// torchvision model (torch.save(resnet18)) works too; for a resnet18 *state dict* pass --resnet18-state-dict.
using PtSharp.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

string path = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal))
    ?? Path.Combine(AppContext.BaseDirectory, "tiny_cnn_model.pt");
bool stateDict = args.Contains("--resnet18-state-dict");

nn.Module<Tensor, Tensor> model;
if (stateDict)
{
    var resnet = torchvision.models.resnet18();
    resnet.LoadPt(path);
    resnet.eval();
    model = resnet;
}
else
{
    model = PtTorch.LoadModule(path); // rebuilt from the file's module tree; nothing from the file is executed
}

long side = stateDict ? 224 : 32;
using var x = torch.linspace(0, 1, 3 * side * side).reshape(1, 3, side, side);
using var _ = torch.no_grad();
using var probabilities = model.call(x).softmax(1)[0];
var (values, indices) = probabilities.topk(5);
Console.WriteLine($"{Path.GetFileName(path)}: top-5 of {probabilities.shape[0]} classes");
for (int i = 0; i < 5; i++)
    Console.WriteLine($"class {indices[i].item<long>()}: {values[i].item<float>():F4}");
