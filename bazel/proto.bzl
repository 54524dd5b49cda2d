"""cc_grpc_proto_library: .proto files -> a C++ library of messages and gRPC stubs.

Runs Debian's `protoc` and `grpc_cpp_plugin` (no download). Protos are imported
relative to `import_root` (default "proto", so `import "baton/x/v1/x.proto"` works),
and the generated headers are included the same way: `#include "baton/x/v1/x.pb.h"`.
Well-known types come from /usr/include, gRPC's own protos from /usr/share/grpc-proto.
"""

_PROTOC = "/usr/bin/protoc"
_GRPC_PLUGIN = "/usr/bin/grpc_cpp_plugin"
_SYSTEM_IMPORTS = ["/usr/include", "/usr/share/grpc-proto"]

def _strip_ext(path):
    return path[:-len(".proto")]

def cc_grpc_proto_library(
        name,
        srcs,
        deps = [],
        grpc = True,
        import_root = "proto",
        system_srcs = [],
        testonly = False,
        visibility = None):
    """Generates and compiles C++ for `srcs` (in this package) and `system_srcs`.

    Args:
      name: the cc_library; `<name>_files` is a filegroup of the .proto sources.
      srcs: .proto files in this package.
      deps: other cc_grpc_proto_library targets whose protos `srcs` import.
      grpc: also generate service stubs.
      import_root: workspace-relative directory that proto imports are relative to.
      system_srcs: protos to compile from a system import path, given relative to it
        (e.g. "grpc/health/v1/health.proto"); their outputs land in this package.
      testonly: for protos only tests may use.
      visibility: of the generated targets.
    """
    package = native.package_name()
    if package != import_root and not package.startswith(import_root + "/"):
        fail("cc_grpc_proto_library must live under %s/" % import_root)
    package_rel = package[len(import_root) + 1:] if package != import_root else ""

    native.filegroup(
        name = name + "_files",
        srcs = srcs + [d + "_files" for d in deps],
        testonly = testonly,
        visibility = visibility,
    )

    protos = []  # paths relative to the import root
    for src in srcs:
        protos.append((package_rel + "/" + src) if package_rel else src)
    for src in system_srcs:
        if not src.startswith(package_rel + "/"):
            fail("system proto %s must be placed in its matching package %s" % (src, package_rel))
        protos.append(src)

    outs = []
    for p in protos:
        local = p[len(package_rel) + 1:] if package_rel else p
        outs += [_strip_ext(local) + ".pb.h", _strip_ext(local) + ".pb.cc"]
        if grpc:
            outs += [_strip_ext(local) + ".grpc.pb.h", _strip_ext(local) + ".grpc.pb.cc"]

    out_root = "$(GENDIR)/" + import_root
    imports = " ".join(["-I" + import_root] + ["-I" + i for i in _SYSTEM_IMPORTS])
    cmd = "%s %s --cpp_out=%s" % (_PROTOC, imports, out_root)
    if grpc:
        cmd += " --grpc_out=%s --plugin=protoc-gen-grpc=%s" % (out_root, _GRPC_PLUGIN)
    cmd += " " + " ".join(protos)

    native.genrule(
        name = name + "_gen",
        srcs = [name + "_files"],
        outs = outs,
        cmd = cmd,
        testonly = testonly,
        message = "protoc " + package,
    )

    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        strip_include_prefix = "/" + import_root,
        copts = ["-Wno-unused-parameter", "-Wno-error"],
        testonly = testonly,
        deps = deps + [
            "@system_libs//:grpc",
            "@system_libs//:protobuf",
        ],
        visibility = visibility,
    )
