"""cc_fuzzer: a libFuzzer target, built only with --config=fuzz (clang-14).

Tagged manual, so `bazel build //...` (gcc) skips it; tools/fuzz.sh builds and runs
every fuzzer with its seed corpus.
"""

def cc_fuzzer(name, srcs, deps, corpus):
    native.cc_binary(
        name = name,
        testonly = True,
        srcs = srcs,
        deps = deps,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual", "fuzzer"],
        data = native.glob([corpus + "/**"]),
    )
