#!/usr/bin/env bash
# Packs PtSharp (library) and PtSharp.Cli (the `pt` tool) into artifacts/packages/:
#   PtSharp.<v>.nupkg + .snupkg            the library
#   PtSharp.Cli.<v>.nupkg                  the tool's top-level package (points at the two below)
#   PtSharp.Cli.linux-x64.<v>.nupkg        Native AOT build for linux-x64 (needs clang and zlib1g-dev)
#   PtSharp.Cli.any.<v>.nupkg + .snupkg    framework-dependent fallback for every other platform (.NET 10 runtime)
# Then: dotnet tool install -g PtSharp.Cli --add-source artifacts/packages
# The version comes from Directory.Build.props (VersionPrefix).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo/artifacts/packages}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$repo"
# The tool pack globs the publish folder: a stale one would ship leftovers.
rm -rf src/PtSharp.Cli/bin/Release/net10.0/linux-x64/publish src/PtSharp.Cli/bin/Release/net10.0/any/publish
dotnet pack src/PtSharp/PtSharp.csproj -c Release -nologo -v q -o "$out"
dotnet pack src/PtSharp.Cli/PtSharp.Cli.csproj -c Release -nologo -v q -o "$out"
dotnet pack src/PtSharp.Cli/PtSharp.Cli.csproj -c Release -nologo -v q -r any -o "$out"
dotnet pack src/PtSharp.Cli/PtSharp.Cli.csproj -c Release -nologo -v q -r linux-x64 -o "$out"
ls -l "$out"
