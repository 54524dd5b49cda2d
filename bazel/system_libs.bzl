"""A repository of Debian's system libraries, one cc_library per entry.

Each entry names pkg-config modules; their --libs become the library's linkopts.
Headers come from /usr/include, which the compiler searches already. Nothing is
downloaded: the rule only runs the local pkg-config.
"""

def _dedupe_keep_last(flags):
    # Static-link order wants the last occurrence of a repeated -l flag.
    seen = {}
    out = []
    for flag in reversed(flags):
        if flag.startswith("-l") and flag in seen:
            continue
        seen[flag] = True
        out.append(flag)
    return reversed(out)

def _system_libs_impl(ctx):
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, modules in ctx.attr.libraries.items():
        result = ctx.execute(["pkg-config", "--libs"] + modules.split(" "))
        if result.return_code != 0:
            fail("pkg-config could not resolve %s (%s): %s\nInstall the Debian -dev package." %
                 (name, modules, result.stderr))
        flags = result.stdout.strip().split(" ")
        flags = [f for f in flags if f]
        extra = ctx.attr.extra_linkopts.get(name, "")
        if extra:
            flags = extra.split(" ") + flags
        linkopts = ", ".join(['"%s"' % f for f in _dedupe_keep_last(flags)])
        build.append('cc_library(name = "%s", linkopts = [%s])' % (name, linkopts))
        build.append("")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD.bazel", "\n".join(build))

system_libs = repository_rule(
    implementation = _system_libs_impl,
    attrs = {
        "libraries": attr.string_dict(mandatory = True),
        "extra_linkopts": attr.string_dict(),
    },
    local = True,
)
