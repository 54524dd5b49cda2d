"""Drives the running Baton suite with Python's gRPC stack (Debian's python3-grpcio).

    python3 shop_interop.py <scenario>

Message classes are generated at run time with protoc from the repository's protos
(BATON_PROTO_ROOT) into a temporary directory; calls go through grpcio's generic
unary-unary API, so no generated service stubs are needed. Environment: BATON_GATEWAY,
BATON_CATALOG, BATON_INVENTORY, BATON_ORDERS, BATON_API_KEY. Exits 0 when the scenario
holds, 1 with the reason otherwise.
"""
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

import grpc

PROTOS = [
    "baton/catalog/v1/catalog.proto",
    "baton/inventory/v1/inventory.proto",
    "baton/orders/v1/orders.proto",
    "baton/shop/v1/shop.proto",
    # Debian's grpc/health/v1/health.proto, copied under a path whose Python module
    # (interop_health.health_pb2) does not collide with the grpc package itself.
    "interop_health/health.proto",
]


def load_messages():
    out = tempfile.mkdtemp(prefix="baton-py-")
    root = os.environ["BATON_PROTO_ROOT"]
    os.makedirs(os.path.join(out, "interop_health"))
    shutil.copy("/usr/share/grpc-proto/grpc/health/v1/health.proto",
                os.path.join(out, "interop_health", "health.proto"))
    subprocess.run(
        ["/usr/bin/protoc", f"-I{root}", f"-I{out}", "-I/usr/include",
         f"--python_out={out}"] + PROTOS,
        check=True)
    sys.path.insert(0, out)
    modules = {}
    for proto in PROTOS:
        name = proto[:-len(".proto")].replace("/", ".") + "_pb2"
        modules[name.split(".")[-1]] = importlib.import_module(name)
    return modules


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def unary(channel, path, request, response_class, metadata=(), timeout=5.0):
    method = channel.unary_unary(
        path,
        request_serializer=lambda message: message.SerializeToString(),
        response_deserializer=response_class.FromString)
    return method.with_call(request, metadata=metadata, timeout=timeout)


def health(m):
    for variable in ("BATON_GATEWAY", "BATON_CATALOG", "BATON_INVENTORY", "BATON_ORDERS"):
        with grpc.insecure_channel(os.environ[variable]) as channel:
            response, _ = unary(channel, "/grpc.health.v1.Health/Check",
                                m["health_pb2"].HealthCheckRequest(service=""),
                                m["health_pb2"].HealthCheckResponse)
            check(response.status == m["health_pb2"].HealthCheckResponse.SERVING,
                  f"{variable} is SERVING")


def order_flow(m):
    key = (("x-api-key", os.environ["BATON_API_KEY"]),)
    shop = "/baton.shop.v1.ShopService/"
    orders = m["orders_pb2"]
    with grpc.insecure_channel(os.environ["BATON_GATEWAY"]) as channel:
        request = orders.PlaceOrderRequest(customer="python")
        request.items.add(sku="py-tea", quantity=3)
        order, call = unary(channel, shop + "PlaceOrder", request, orders.Order,
                            metadata=key + (("x-request-id", "python-order-1"),))
        check(order.order_id.startswith("ord_"), f"order id {order.order_id}")
        check(order.total_cents == 3 * 120, f"total {order.total_cents}")
        trail = dict(call.trailing_metadata()).get("x-baton-budget-trail", "")
        check(trail.startswith("gateway=") and "inventory=" in trail, f"trail {trail}")
        again, _ = unary(channel, shop + "PlaceOrder", request, orders.Order,
                         metadata=key + (("x-request-id", "python-order-1"),))
        check(again.order_id == order.order_id, "a retry returns the same order")
        read, _ = unary(channel, shop + "GetOrder", orders.GetOrderRequest(order_id=order.order_id),
                        orders.Order, metadata=key)
        check(read.order_id == order.order_id and len(read.lines) == 1, "GetOrder reads it back")
        product, _ = unary(channel, shop + "GetProduct", m["shop_pb2"].GetProductRequest(sku="py-tea"),
                           m["shop_pb2"].ProductWithStock, metadata=key)
        check(product.available == 7, f"stock 10 - 3 = {product.available}")
        try:
            unary(channel, shop + "PlaceOrder", orders.PlaceOrderRequest(customer="python"),
                  orders.Order, metadata=key)
            check(False, "an order without items is refused")
        except grpc.RpcError as error:
            check(error.code() == grpc.StatusCode.INVALID_ARGUMENT and "items" in error.details(),
                  f"INVALID_ARGUMENT naming items, not {error.code()} {error.details()}")
        slow = key + (("x-baton-fault", "inventory=delay:3s"),)
        try:
            unary(channel, shop + "PlaceOrder", request, orders.Order, metadata=slow, timeout=0.5)
            check(False, "a 500 ms order against a 3 s inventory fails")
        except grpc.RpcError as error:
            check(error.code() == grpc.StatusCode.DEADLINE_EXCEEDED,
                  f"DEADLINE_EXCEEDED, not {error.code()}")


SCENARIOS = {"health": health, "order_flow": order_flow}

if __name__ == "__main__":
    scenario = sys.argv[1] if len(sys.argv) > 1 else ""
    if scenario not in SCENARIOS:
        print(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
        sys.exit(2)
    try:
        SCENARIOS[scenario](load_messages())
    except Exception as error:  # noqa: BLE001 - report any failure as the scenario's
        print(f"{scenario}: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"{scenario}: ok")
