// grpcurl_like: the way grpcurl talks to a server, for the interop test — grpc-go (the
// stack grpcurl is built on) and Go's protobuf, no code or .proto files of ours. Every
// descriptor comes from the server's reflection service; requests and responses are
// dynamic messages read and written as JSON.
//
//	grpcurl_like [-H 'name: value']... [-d JSON] [-max-time SECONDS] [-v] ADDRESS list
//	grpcurl_like [...] ADDRESS describe SERVICE
//	grpcurl_like [...] ADDRESS package.Service/Method
//
// Like grpcurl: a failed call prints "ERROR:", its code and message, on stderr, and
// exits with 64 + the status code; -v also prints the response trailers; -H headers go
// on the reflection stream too. Built by build.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// reflector asks one reflection stream for what it needs.
type reflector struct {
	stream rpb.ServerReflection_ServerReflectionInfoClient
	files  map[string]*descriptorpb.FileDescriptorProto
}

func (r *reflector) ask(request *rpb.ServerReflectionRequest) *rpb.ServerReflectionResponse {
	if err := r.stream.Send(request); err != nil {
		fail("reflection: %v", err)
	}
	response, err := r.stream.Recv()
	if err != nil {
		fail("reflection: %v", err)
	}
	if e := response.GetErrorResponse(); e != nil {
		fail("reflection: %s (code %d)", e.ErrorMessage, e.ErrorCode)
	}
	return response
}

func (r *reflector) services() []string {
	response := r.ask(&rpb.ServerReflectionRequest{
		MessageRequest: &rpb.ServerReflectionRequest_ListServices{ListServices: "*"}})
	var names []string
	for _, service := range response.GetListServicesResponse().GetService() {
		names = append(names, service.Name)
	}
	sort.Strings(names)
	return names
}

// addFiles keeps the files of a response, then asks for every dependency not yet seen
// (a server may send a file without the files it imports), once each.
func (r *reflector) addFiles(response *rpb.ServerReflectionResponse) {
	keep := func(response *rpb.ServerReflectionResponse) {
		for _, raw := range response.GetFileDescriptorResponse().GetFileDescriptorProto() {
			file := &descriptorpb.FileDescriptorProto{}
			if err := proto.Unmarshal(raw, file); err != nil {
				fail("reflection sent a file descriptor that does not parse: %v", err)
			}
			r.files[file.GetName()] = file
		}
	}
	keep(response)
	requested := map[string]bool{}
	for {
		var missing []string
		for _, file := range r.files {
			for _, dependency := range file.GetDependency() {
				if _, seen := r.files[dependency]; !seen && !requested[dependency] {
					missing = append(missing, dependency)
					requested[dependency] = true
				}
			}
		}
		if len(missing) == 0 {
			return
		}
		for _, name := range missing {
			keep(r.ask(&rpb.ServerReflectionRequest{
				MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: name}}))
			if _, seen := r.files[name]; !seen {
				fail("reflection did not send %s when asked for it", name)
			}
		}
	}
}

// service resolves a service, through the file that declares it, to its descriptor.
func (r *reflector) service(name string) protoreflect.ServiceDescriptor {
	r.addFiles(r.ask(&rpb.ServerReflectionRequest{
		MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: name}}))
	set := &descriptorpb.FileDescriptorSet{}
	for _, file := range r.files {
		set.File = append(set.File, file)
	}
	files, err := protodesc.NewFiles(set)
	if err != nil {
		fail("the descriptors reflection gave do not link: %v", err)
	}
	found, err := files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		fail("%s: %v", name, err)
	}
	service, ok := found.(protoreflect.ServiceDescriptor)
	if !ok {
		fail("%s is not a service", name)
	}
	return service
}

func main() { os.Exit(run()) }

// run does what the command line says; returns the exit code.
func run() int {
	var sent headers
	flag.Var(&sent, "H", "a request header, 'name: value' (repeatable)")
	data := flag.String("d", "{}", "the request, as JSON")
	maxTime := flag.Float64("max-time", 0, "the call's deadline, in seconds (0: none)")
	verbose := flag.Bool("v", false, "also print the response trailers")
	flag.Parse()
	if flag.NArg() < 2 {
		fail("usage: grpcurl_like [flags] ADDRESS list|describe SERVICE|package.Service/Method")
	}
	address, verb := flag.Arg(0), flag.Arg(1)

	conn, err := grpc.Dial(address, grpc.WithInsecure())
	if err != nil {
		fail("dial %s: %v", address, err)
	}
	defer conn.Close()
	ctx := context.Background()
	for _, header := range sent {
		parts := strings.SplitN(header, ":", 2)
		if len(parts) != 2 {
			fail("-H wants 'name: value', not %q", header)
		}
		ctx = metadata.AppendToOutgoingContext(ctx, strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]))
	}
	// grpcurl sends -H headers on the reflection stream as well as on the call.
	setup, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	stream, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(setup)
	if err != nil {
		fail("reflection: %v", err)
	}
	r := &reflector{stream: stream, files: map[string]*descriptorpb.FileDescriptorProto{}}

	switch {
	case verb == "list":
		for _, name := range r.services() {
			fmt.Println(name)
		}
	case verb == "describe" && flag.NArg() != 3:
		fail("usage: grpcurl_like [flags] ADDRESS describe SERVICE")
	case verb == "describe":
		service := r.service(flag.Arg(2))
		fmt.Printf("%s is a service:\n", service.FullName())
		methods := service.Methods()
		for i := 0; i < methods.Len(); i++ {
			m := methods.Get(i)
			fmt.Printf("  rpc %s ( %s%s ) returns ( %s%s );\n", m.Name(), streamPrefix(m.IsStreamingClient()),
				m.Input().FullName(), streamPrefix(m.IsStreamingServer()), m.Output().FullName())
		}
	case strings.Contains(verb, "/"):
		return invoke(ctx, conn, r, verb, *data, *maxTime, *verbose)
	default:
		fail("unknown command %q", verb)
	}
	stream.CloseSend()
	return 0
}

func streamPrefix(streaming bool) string {
	if streaming {
		return "stream "
	}
	return ""
}

// dynamicCodec encodes dynamic messages with Go's protobuf (APIv2); grpc-go's own codec
// goes through the older API, which knows only generated messages.
type dynamicCodec struct{}

func (dynamicCodec) Marshal(v interface{}) ([]byte, error) { return proto.Marshal(v.(proto.Message)) }
func (dynamicCodec) Unmarshal(data []byte, v interface{}) error {
	return proto.Unmarshal(data, v.(proto.Message))
}
func (dynamicCodec) Name() string { return "proto" }

// invoke makes one unary call; returns the exit code.
func invoke(ctx context.Context, conn *grpc.ClientConn, r *reflector, target, data string,
	maxTime float64, verbose bool) int {
	slash := strings.LastIndex(target, "/")
	service := r.service(target[:slash])
	method := service.Methods().ByName(protoreflect.Name(target[slash+1:]))
	if method == nil {
		fail("%s has no method %s", service.FullName(), target[slash+1:])
	}
	request := dynamicpb.NewMessage(method.Input())
	resolver := &protoregistry.Types{}
	if err := (protojson.UnmarshalOptions{Resolver: resolver}).Unmarshal([]byte(data), request); err != nil {
		fail("the request does not fit %s: %v", method.Input().FullName(), err)
	}
	response := dynamicpb.NewMessage(method.Output())
	if maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(maxTime*float64(time.Second)))
		defer cancel()
	}
	var trailer metadata.MD
	err := conn.Invoke(ctx, "/"+string(service.FullName())+"/"+string(method.Name()), request,
		response, grpc.Trailer(&trailer), grpc.ForceCodec(dynamicCodec{}))
	if err == nil {
		out, err := protojson.MarshalOptions{Multiline: true}.Marshal(response)
		if err != nil {
			fail("the response does not print as JSON: %v", err)
		}
		fmt.Println(string(out))
	}
	if verbose {
		fmt.Println("Response trailers received:")
		keys := make([]string, 0, len(trailer))
		for key := range trailer {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			fmt.Printf("%s: %s\n", key, strings.Join(trailer[key], ", "))
		}
	}
	if err != nil {
		s := status.Convert(err)
		fmt.Fprintf(os.Stderr, "ERROR:\n  Code: %s\n  Message: %s\n", s.Code(), s.Message())
		return 64 + int(s.Code())
	}
	return 0
}
