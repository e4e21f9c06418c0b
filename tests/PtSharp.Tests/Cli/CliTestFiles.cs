namespace PtSharp.Tests.Cli;

/// <summary>
/// The files the CLI tests read. <c>samples/tiny_mlp.pt</c> is committed (made by <c>samples/make_samples.py</c> with
/// torch 1.13); the other torch-made files are embedded here as base64 (regenerate with
/// <c>tools/oracle.sh 1.13 samples/make_samples.py --test-cases /tmp/cases</c>) and written to a temp directory.
/// </summary>
internal static class CliTestFiles
{
    private static readonly Lazy<string> Root = new(FindRepoRoot);
    private static readonly Lazy<string> TempDir = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "ptsharp-cli-tests-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        return dir;
    });

    /// <summary>The repository root (the directory holding PtSharp.slnx).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>Absolute path of <c>samples/tiny_mlp.pt</c>.</summary>
    public static string TinyMlp => Path.Combine(RepoRoot, "samples", "tiny_mlp.pt");

    /// <summary>A training checkpoint (torch 1.13): model_state_dict, optimizer_state_dict (SGD momentum), epoch 3, loss 0.25, args (argparse.Namespace), name 'run-1', best None.</summary>
    public static string Checkpoint => Write("checkpoint.pt", CheckpointBase64);

    /// <summary>A TorchScript archive (torch 1.13, torch.jit.script of Sequential(Linear(2, 2), ReLU())).</summary>
    public static string Script => Write("script.pt", ScriptBase64);

    /// <summary>Writes bytes to a fresh file in the test temp directory and returns its path.</summary>
    public static string WriteTemp(string name, ReadOnlySpan<byte> bytes)
    {
        var path = Path.Combine(TempDir.Value, Guid.NewGuid().ToString("N") + "-" + name);
        File.WriteAllBytes(path, bytes.ToArray());
        return path;
    }

    private static string Write(string name, string base64) => WriteTemp(name, Convert.FromBase64String(base64));

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PtSharp.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"PtSharp.slnx not found above {AppContext.BaseDirectory}");
    }

    // base64 of checkpoint.pt (2033 bytes) from samples/make_samples.py --test-cases, torch 1.13.0a0.
    private const string CheckpointBase64 = """
        UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAATAA8AY2hlY2twb2ludC9kYXRhLnBrbEZCCwBaWlpaWlpaWlpaWoACfXEAKFgQAAAAbW9kZWxfc3RhdGVf
        ZGljdHEBY2NvbGxlY3Rpb25zCk9yZGVyZWREaWN0CnECKVJxAyhYCAAAADAud2VpZ2h0cQRjdG9yY2guX3V0aWxzCl9yZWJ1aWxkX3RlbnNvcl92Mgpx
        BSgoWAcAAABzdG9yYWdlcQZjdG9yY2gKRmxvYXRTdG9yYWdlCnEHWAEAAAAwcQhYAwAAAGNwdXEJSwR0cQpRSwBLAksChnELSwJLAYZxDIloAilScQ10
        cQ5ScQ9YBgAAADAuYmlhc3EQaAUoKGgGaAdYAQAAADFxEWgJSwJ0cRJRSwBLAoVxE0sBhXEUiWgCKVJxFXRxFlJxF3V9cRhYCQAAAF9tZXRhZGF0YXEZ
        aAIpUnEaKFgAAAAAcRt9cRxYBwAAAHZlcnNpb25xHUsBc1gBAAAAMHEefXEfaB1LAXNYAQAAADFxIH1xIWgdSwFzdXNiWBQAAABvcHRpbWl6ZXJfc3Rh
        dGVfZGljdHEifXEjKFgFAAAAc3RhdGVxJH1xJShLAH1xJlgPAAAAbW9tZW50dW1fYnVmZmVycSdoBSgoaAZoB1gBAAAAMnEoaAlLBHRxKVFLAEsCSwKG
        cSpLAksBhnEriWgCKVJxLHRxLVJxLnNLAX1xL2gnaAUoKGgGaAdYAQAAADNxMGgJSwJ0cTFRSwBLAoVxMksBhXEziWgCKVJxNHRxNVJxNnN1WAwAAABw
        YXJhbV9ncm91cHNxN11xOH1xOShYAgAAAGxycTpHP7mZmZmZmZpYCAAAAG1vbWVudHVtcTtHP+zMzMzMzM1YCQAAAGRhbXBlbmluZ3E8SwBYDAAAAHdl
        aWdodF9kZWNheXE9SwBYCAAAAG5lc3Rlcm92cT6JWAgAAABtYXhpbWl6ZXE/iVgHAAAAZm9yZWFjaHFATlgOAAAAZGlmZmVyZW50aWFibGVxQYlYBgAA
        AHBhcmFtc3FCXXFDKEsASwFldWF1WAUAAABlcG9jaHFESwNYBAAAAGxvc3NxRUc/0AAAAAAAAFgEAAAAYXJnc3FGY2FyZ3BhcnNlCk5hbWVzcGFjZQpx
        RymBcUh9cUkoaDpHP7mZmZmZmZpYBAAAAGFyY2hxSlgDAAAAbWxwcUt1YlgEAAAAbmFtZXFMWAUAAABydW4tMXFNWAQAAABiZXN0cU5OdS5QSwcIw3z6
        nnYDAAB2AwAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAARAAsAY2hlY2twb2ludC9kYXRhLzBGQgcAWlpaWlpaWiLimL43De0+72RlP5s+8z5QSwcI
        0Pi5OBAAAAAQAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAARADEAY2hlY2twb2ludC9kYXRhLzFGQi0AWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpaJNbjvnK7yT5QSwcIqVJOPAgAAAAIAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAARADkAY2hlY2twb2ludC9k
        YXRhLzJGQjUAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpd8CfA1jgBQF3wJ8DWOAFAUEsHCJD8JN8Q
        AAAAEAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAEQAxAGNoZWNrcG9pbnQvZGF0YS8zRkItAFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWgAAAEAAAABAUEsHCLDGDUsIAAAACAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAEgA4AGNoZWNrcG9pbnQvdmVyc2lv
        bkZCNABaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaMwpQSwcI0Z5nVQIAAAACAAAAUEsBAgAAAAAICAAA
        AAAAAMN8+p52AwAAdgMAABMAAAAAAAAAAAAAAAAAAAAAAGNoZWNrcG9pbnQvZGF0YS5wa2xQSwECAAAAAAgIAAAAAAAA0Pi5OBAAAAAQAAAAEQAAAAAA
        AAAAAAAAAADGAwAAY2hlY2twb2ludC9kYXRhLzBQSwECAAAAAAgIAAAAAAAAqVJOPAgAAAAIAAAAEQAAAAAAAAAAAAAAAAAgBAAAY2hlY2twb2ludC9k
        YXRhLzFQSwECAAAAAAgIAAAAAAAAkPwk3xAAAAAQAAAAEQAAAAAAAAAAAAAAAACYBAAAY2hlY2twb2ludC9kYXRhLzJQSwECAAAAAAgIAAAAAAAAsMYN
        SwgAAAAIAAAAEQAAAAAAAAAAAAAAAAAgBQAAY2hlY2twb2ludC9kYXRhLzNQSwECAAAAAAgIAAAAAAAA0Z5nVQIAAAACAAAAEgAAAAAAAAAAAAAAAACY
        BQAAY2hlY2twb2ludC92ZXJzaW9uUEsGBiwAAAAAAAAAHgMtAAAAAAAAAAAABgAAAAAAAAAGAAAAAAAAAH0BAAAAAAAAEgYAAAAAAABQSwYHAAAAAI8H
        AAAAAAAAAQAAAFBLBQYAAAAABgAGAH0BAAASBgAAAAA=
        """;

    // base64 of script.pt (5571 bytes) from samples/make_samples.py --test-cases, torch 1.13.0a0.
    private const string ScriptBase64 = """
        UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAANABUAc2NyaXB0L2RhdGEvMEZCEQBaWlpaWlpaWlpaWlpaWlpaWr4g7z7AXAe/EIUTP+Sm5z5QSwcIMrmt
        ThAAAAAQAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAANADUAc2NyaXB0L2RhdGEvMUZCMQBaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpa/BcYPw3KCr9QSwcIUV4IbAgAAAAIAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAPADsAc2NyaXB0L2RhdGEucGts
        RkI3AFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlqAAmNfX3RvcmNoX18udG9yY2gubm4ubW9kdWxl
        cy5jb250YWluZXIKU2VxdWVudGlhbApxACmBfShYCAAAAHRyYWluaW5ncQGIWBYAAABfaXNfZnVsbF9iYWNrd2FyZF9ob29rcQJOWAEAAAAwcQNjX190
        b3JjaF9fLnRvcmNoLm5uLm1vZHVsZXMubGluZWFyCkxpbmVhcgpxBCmBfShYBgAAAHdlaWdodHEFY3RvcmNoLl91dGlscwpfcmVidWlsZF90ZW5zb3Jf
        djIKcQYoKFgHAAAAc3RvcmFnZXEHY3RvcmNoCkZsb2F0U3RvcmFnZQpxCGgDWAMAAABjcHVxCUsEdFFxCksAKEsCSwJ0KEsCSwF0iGNjb2xsZWN0aW9u
        cwpPcmRlcmVkRGljdApxCylSdFJxDFgEAAAAYmlhc3ENaAYoKGgHaAhYAQAAADFxDmgJSwJ0UXEPSwAoSwJ0KEsBdIhoCylSdFJxEGgBiGgCTnVicRFo
        DmNfX3RvcmNoX18udG9yY2gubm4ubW9kdWxlcy5hY3RpdmF0aW9uClJlTFUKcRIpgX0oaAGIaAJOdWJxE3VicRQuUEsHCCiAY+O6AQAAugEAAFBLAwQU
        AAgICAAAAAAAAAAAAAAAAAAAAAAAMwAlAHNjcmlwdC9jb2RlL19fdG9yY2hfXy90b3JjaC9ubi9tb2R1bGVzL2NvbnRhaW5lci5weUZCIQBaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlqdkM1OwzAQhO99ilVPjRSshKMleILCAcqpqlZOsm6tuuvgHxBvj+MU8SuQONnaGX87496qEOCeHhNxNMqu
        btyQLFVyAYA4Kq9OFMkHRLiC7a5Mu6T1p1H0yrDhPUjonLOTyQTUyVrsVH98Vn7Ag3PHrN86ps3LSAWkmF1U0TjOsO2yWe4yETE63x8QRTkFsziVTEFY
        w6S8WJfjJ0L7F0H10TwVv7ij9UNmDKRBOz9lXAWyWv72vHccc1Xy4v3H6gwBMDymKGFDHJyv4OL6fJVFxSbH2lNOGn3ZUkNuW81a+11rz1qhTm9X2FTi
        LWaZ1jBbPMXkORvaL4Zmdkz9EC0x4v/6lTKGo/y47nLxClBLBwhsO2MpDQEAADkCAABQSwMEFAAICAgAAAAAAAAAAAAAAAAAAAAAAD0ACABzY3JpcHQv
        Y29kZS9fX3RvcmNoX18vdG9yY2gvbm4vbW9kdWxlcy9jb250YWluZXIucHkuZGVidWdfcGtsRkIEAFpaWlpNj81Kw0AUhSexf8aqCxFcaAmuImgDulCk
        ChX8KWMq1ICzkSFNps3YOMlMJkh37vIOvot78SF8FidJob0MXJjz3XPv+dTRHgDg7mnk9F38MnAf8LM7Ggzvsdu/ebzlwEJKBlxDHdVMVQGZmJNYfHgi
        sFISTY5NypJMHl0aXEf7C6goBZnvcZBFRBFmgSpkDR2uIEWV0+bVArUqM4PX0O4KKIjMBKtYg9dRT2l2lgo7omM7mcswZmd2QFN5knj+zJuS1Jax8EOb
        MbsyTm0/ZtKjjIhuMucNtKMsiiwYR4RhXGYpQjRRu1q82Hlq8BZqqa9eKgVl02u+LrlhQeCXG7pvVHZxQv1ZRIxxRqMAUyYjdYrBN6xXi8gRBBDkvF02
        9ZwvLSwUqEEdrsEaBAVTh78534RD6OZQy51vLVwO/GjhUvlbVc71yqoBm5VNSyF8Cx7ATg713LnQl7Dk23n3H1BLBwiJrDDNXgEAAPABAABQSwMEFAAI
        CAgAAAAAAAAAAAAAAAAAAAAAADAABABzY3JpcHQvY29kZS9fX3RvcmNoX18vdG9yY2gvbm4vbW9kdWxlcy9saW5lYXIucHlGQgAAfVC7bsMwDNzzFYQn
        G3A1dDSQjp3aTtmCQJBtKhaiUIYeCPr3pWi36JSJ5N3x+Ji8SQk+HKGJ7WeYi8duOABovZpo7pgxJq3hCOfmge665KaHZnQmcbyIbizW/okqtOlggBNS
        CpGRqv9f52gcOboyNobgq41L2hbv9Wim28PEWS8h3Jj/CoSn7xVZ40hbNLlErGbvjow/O8oXnvvKdCj5KT+jBRtiNW8Tejvw7jnEadFaSVRE6i4fSMrL
        Q9T2l5676/i15N8jOnh529NB2P3oI1RrtVVCyO07XHMBI/KaBNvYbVYr/v1u1Etfd/gBUEsHCJ7FIB/tAAAAnwEAAFBLAwQUAAgICAAAAAAAAAAAAAAA
        AAAAAAAAOgArAHNjcmlwdC9jb2RlL19fdG9yY2hfXy90b3JjaC9ubi9tb2R1bGVzL2xpbmVhci5weS5kZWJ1Z19wa2xGQicAWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaPUzLSsNAFJ00PvMFLmeZQpsRXIhdKBVsLWMUYsBsJOQxacaOk8wjlC4Ed/MXfquTWHu4cO695/E9Si4AAIuX
        KJzH6dsqfkxf42j1vEzj+f3TgwB+YmUgnOTSErQoSQWrRm4zWfqKsGoCKW87PYMx4aqRYzi93a8zT4yS632shyS6kxwuAkY5yaQ/BCewbwm2hK7r/yOn
        mRp7wk1ubBp1SiJGc9TudN3wK1RSpadtVmyyNVFIN7KoEefosyk7Zh9/5UG7E0daHGNQDI7gg+ogbWmxYcTLO8rKlHLNbJUnTvx3n+gIAwyMOB3ITvjl
        1L2CHTzCoNddLIw4w3d4abBrwh+nPpiNODfBL1BLBwiwU4FrCQEAAE0BAABQSwMEFAAICAgAAAAAAAAAAAAAAAAAAAAAADQAFQBzY3JpcHQvY29kZS9f
        X3RvcmNoX18vdG9yY2gvbm4vbW9kdWxlcy9hY3RpdmF0aW9uLnB5RkIRAFpaWlpaWlpaWlpaWlpaWlpabY8xTwMxDIX3/gqPd9IRMZ8EYydgQGWqqsiX
        c2hU1zk5CYh/TxJYKnVK9J7f92zHmBK808vH8BrXwjTOOwBrN1S8UiZN1sITHE9dXYr3N1JWDBLkE2ZYYuQ2FJL1hdku6C7fqKs9x3ip/lsUOvxsVGeC
        bIyOqrgPgnxs0VNF7pFT81fy4KO29JCI/Vyrc1R3ttb014iYa183GXQ5fGEOUUw7Y6r53lDyDAeSFHWEh+f/79xd+1jL7iB9EddAyEaJy9Ap099aE4w9
        q5SLSkXsfgFQSwcIkZwKd9EAAAA7AQAAUEsDBBQACAgIAAAAAAAAAAAAAAAAAAAAAAA+AEMAc2NyaXB0L2NvZGUvX190b3JjaF9fL3RvcmNoL25uL21v
        ZHVsZXMvYWN0aXZhdGlvbi5weS5kZWJ1Z19wa2xGQj8AWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaTYw7T8MwEICdPnjkFzAwZGBIJRojdatUUJFaqI6AVILIgiI3cYipcWLHAXVj8+9lZSKJosLppHt8991XLzxBCC0f1v48iJ5XwW30GKxX
        9zdRML++W0jkhjVG0gov6uLUkdDUSXP1SVTilpSn5w4TRaWnTkBFmauRM77s2qkte+Gk05pQVFdKOEtPUV65rdbanMR01vzyumFky344q01clQpztsHF
        Tme5mOCElXpckHhLXmmJda7iDAuB3/Ok4vWCxJp9EM1y4RU7OdBy6AKK2zPvjWkvKli85dTeVIwnEROa1/9seeC+uFSvAQEy8rAtTX5nDQALeoAa3Adq
        5BFcwcLAwMBPtj/1T61sD/yzZngCYmBo/NF/Mrb+HC2PjfcLUEsHCB1ZmYkgAQAAgAEAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAALAAGAHNjcmlw
        dC9jb2RlL19fdG9yY2hfXy90b3JjaC9ubi9mdW5jdGlvbmFsLnB5RkICAFpaZGVmIHJlbHUoaW5wdXQ6IFRlbnNvciwKICAgIGlucGxhY2U6IGJvb2w9
        RmFsc2UpIC0+IFRlbnNvcjoKICBpZiBpbnBsYWNlOgogICAgcmVzdWx0ID0gdG9yY2gucmVsdV8oaW5wdXQpCiAgZWxzZToKICAgIHJlc3VsdCA9IHRv
        cmNoLnJlbHUoaW5wdXQpCiAgcmV0dXJuIHJlc3VsdApQSwcIJCzJ8qEAAAChAAAAUEsDBBQACAgIAAAAAAAAAAAAAAAAAAAAAAA2ADsAc2NyaXB0L2Nv
        ZGUvX190b3JjaF9fL3RvcmNoL25uL2Z1bmN0aW9uYWwucHkuZGVidWdfcGtsRkI3AFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlpaWlpaWlpaWlpaWlpaWlp9UU1v00AQtdPmo9sPSsuB4ypwcKTGPiAuFkUKEoVqa5DSoO4FuY49wUu3a693LZQL9OYr/AYkbpz6B7tJnPTj0NVKo9mZ
        92be26sGfW5Z1tHnYTAYhWfHo4/h6Wh4/OlDOBq8O3kvLYeasiVt6puQwAQXwEuHibzUPh6BUFlxgE3Koxh8PM4yjg/xUcQV9HD/bd3hI9mgfUOAzSm6
        3e4tyQp8+BCE5Bq1DQbJdTqosYM85wwU1imYRWLNJgwSzJmAqMClYBpPSmGeM4GBwyUI3f/BFLj4FADJJnVrHj/mkVL++U+dFXHqCuEO4eTLOZ5kBb7M
        CsAJ6Ihx5SLZop0aZPZGsk2dOmUTnEYqnDOEy7FhKaJiupDWM7I7NKjb59JBl4UwMJFweIB0Zp4c4NqV3tyXu/bUsYfkBt29XWFpPZKIvrw3SpVcm79Y
        KJyRh/VaSG5SVLeC8dxgt+iLx7Er6DbdW/7jQsyiGckd+toUvFIVHmdjL5/qNBOvvIQp3c+j+CL6BsqbE3pCeEvVEXfzqXyi5a5DrHgx7zvTbpiz+IID
        GpeMJyETmhseJJ86Xx3QQ2IRq5J78zC7b9JZgdikQdbIOmmSFmmTDtkgiGySLbJNrBloJ/jXrOR+QO3g2q5IqyJn6X5Q2sGVydoVYend2i+T/bWD/ybr
        VOT3vdqfdDVby2eVewNQSwcI1ymtWgcCAABGAwAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAUADcAc2NyaXB0L2NvbnN0YW50cy5wa2xGQjMAWlpa
        WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpagAIpLlBLBwhtLwlXBAAAAAQAAABQSwMEAAAICAAAAAAAAAAAAAAA
        AAAAAAAAAA4AQABzY3JpcHQvdmVyc2lvbkZCPABaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa
        WlozClBLBwjRnmdVAgAAAAIAAABQSwECAAAAAAgIAAAAAAAAMrmtThAAAAAQAAAADQAAAAAAAAAAAAAAAAAAAAAAc2NyaXB0L2RhdGEvMFBLAQIAAAAA
        CAgAAAAAAABRXghsCAAAAAgAAAANAAAAAAAAAAAAAAAAAGAAAABzY3JpcHQvZGF0YS8xUEsBAgAAAAAICAAAAAAAACiAY+O6AQAAugEAAA8AAAAAAAAA
        AAAAAAAA2AAAAHNjcmlwdC9kYXRhLnBrbFBLAQIAABQACAgIAAAAAABsO2MpDQEAADkCAAAzAAAAAAAAAAAAAAAAAAoDAABzY3JpcHQvY29kZS9fX3Rv
        cmNoX18vdG9yY2gvbm4vbW9kdWxlcy9jb250YWluZXIucHlQSwECAAAUAAgICAAAAAAAiawwzV4BAADwAQAAPQAAAAAAAAAAAAAAAACdBAAAc2NyaXB0
        L2NvZGUvX190b3JjaF9fL3RvcmNoL25uL21vZHVsZXMvY29udGFpbmVyLnB5LmRlYnVnX3BrbFBLAQIAABQACAgIAAAAAACexSAf7QAAAJ8BAAAwAAAA
        AAAAAAAAAAAAAG4GAABzY3JpcHQvY29kZS9fX3RvcmNoX18vdG9yY2gvbm4vbW9kdWxlcy9saW5lYXIucHlQSwECAAAUAAgICAAAAAAAsFOBawkBAABN
        AQAAOgAAAAAAAAAAAAAAAAC9BwAAc2NyaXB0L2NvZGUvX190b3JjaF9fL3RvcmNoL25uL21vZHVsZXMvbGluZWFyLnB5LmRlYnVnX3BrbFBLAQIAABQA
        CAgIAAAAAACRnAp30QAAADsBAAA0AAAAAAAAAAAAAAAAAFkJAABzY3JpcHQvY29kZS9fX3RvcmNoX18vdG9yY2gvbm4vbW9kdWxlcy9hY3RpdmF0aW9u
        LnB5UEsBAgAAFAAICAgAAAAAAB1ZmYkgAQAAgAEAAD4AAAAAAAAAAAAAAAAAoQoAAHNjcmlwdC9jb2RlL19fdG9yY2hfXy90b3JjaC9ubi9tb2R1bGVz
        L2FjdGl2YXRpb24ucHkuZGVidWdfcGtsUEsBAgAAAAAICAAAAAAAACQsyfKhAAAAoQAAACwAAAAAAAAAAAAAAAAAcAwAAHNjcmlwdC9jb2RlL19fdG9y
        Y2hfXy90b3JjaC9ubi9mdW5jdGlvbmFsLnB5UEsBAgAAFAAICAgAAAAAANcprVoHAgAARgMAADYAAAAAAAAAAAAAAAAAcQ0AAHNjcmlwdC9jb2RlL19f
        dG9yY2hfXy90b3JjaC9ubi9mdW5jdGlvbmFsLnB5LmRlYnVnX3BrbFBLAQIAAAAACAgAAAAAAABtLwlXBAAAAAQAAAAUAAAAAAAAAAAAAAAAABcQAABz
        Y3JpcHQvY29uc3RhbnRzLnBrbFBLAQIAAAAACAgAAAAAAADRnmdVAgAAAAIAAAAOAAAAAAAAAAAAAAAAAJQQAABzY3JpcHQvdmVyc2lvblBLBgYsAAAA
        AAAAAB4DLQAAAAAAAAAAAA0AAAAAAAAADQAAAAAAAABPBAAAAAAAABIRAAAAAAAAUEsGBwAAAABhFQAAAAAAAAEAAABQSwUGAAAAAA0ADQBPBAAAEhEA
        AAAA
        """;
}
