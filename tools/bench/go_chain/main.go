// go_chain: the benchmarks' chain of ChainService hops (proto/baton/testing/v1/chain.proto)
// built on grpc-go the way Go services propagate deadlines: every hop passes its
// handler's ctx to its outbound call, so grpc-go carries the deadline and the cancel
// to the next hop, and the work stops when ctx is done. docs/benchmarks.md §12 sets it
// beside the same chain on Baton's adapter and on raw C++ gRPC.
//
// Run by tools/bench/chain_benchmark (--go_chain=<this binary>) as a server process,
// spoken to with the line protocol of tools/bench/remote_chain.h (runs, quiet, waste);
// exits when its stdin closes. Built by tools/bench/go_chain/build.sh.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	pb "batonbench/chainpb"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// waste counts, like tools/bench/chain.h's WasteCounter, the CPU a hop spent working
// after the first caller's deadline.
type waste struct {
	cpuNsAfterDeadline int64
	started            int64
	ended              int64
	cutShort           int64
}

// threadCPU is the calling OS thread's CPU time (the goroutine is locked to it).
func threadCPU() time.Duration {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID,
		uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		panic("clock_gettime(CLOCK_THREAD_CPUTIME_ID): " + errno.Error())
	}
	return time.Duration(ts.Nano())
}

var sink uint64

// busyWork spins for `work` of CPU time, or until ctx is done; false if cut short.
func busyWork(ctx context.Context, work time.Duration, callerDeadline time.Time, w *waste) bool {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	atomic.AddInt64(&w.started, 1)
	start := threadCPU()
	atDeadline := time.Duration(-1)
	x := uint64(1)
	finished := true
	for {
		for i := 0; i < 1000; i++ {
			x = x*6364136223846793005 + 1
		}
		cpu := threadCPU()
		if atDeadline < 0 && !callerDeadline.IsZero() && time.Now().After(callerDeadline) {
			atDeadline = cpu
		}
		if cpu-start >= work {
			break
		}
		if ctx.Err() != nil {
			finished = false
			break
		}
	}
	atomic.AddUint64(&sink, x)
	if atDeadline >= 0 {
		atomic.AddInt64(&w.cpuNsAfterDeadline, int64(threadCPU()-atDeadline))
	}
	if !finished {
		atomic.AddInt64(&w.cutShort, 1)
	}
	atomic.AddInt64(&w.ended, 1)
	return finished
}

type hop struct {
	next  pb.ChainServiceClient // nil at the last hop
	waste *waste
}

func (h *hop) Step(ctx context.Context, req *pb.ChainRequest) (*pb.ChainResponse, error) {
	var callerDeadline time.Time
	if req.CallerDeadlineUnixUs != 0 {
		callerDeadline = time.UnixMicro(req.CallerDeadlineUnixUs)
	}
	if !busyWork(ctx, time.Duration(req.WorkUs)*time.Microsecond, callerDeadline, h.waste) {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, status.Error(codes.DeadlineExceeded, ctx.Err().Error())
		}
		return nil, status.Error(codes.Canceled, ctx.Err().Error())
	}
	if h.next == nil {
		return &pb.ChainResponse{Hops: 1}, nil
	}
	inner, err := h.next.Step(ctx, req)
	if err != nil {
		return nil, err
	}
	return &pb.ChainResponse{Hops: inner.Hops + 1}, nil
}

func main() {
	hops := flag.Int("hops", 3, "hops in the chain")
	flag.Parse()
	if *hops < 1 {
		fmt.Fprintln(os.Stderr, "-hops must be at least 1")
		os.Exit(2)
	}
	wastes := make([]*waste, *hops)
	address := ""
	// The last hop first, so that each hop can dial the one after it.
	for i := *hops - 1; i >= 0; i-- {
		h := &hop{waste: &waste{}}
		wastes[i] = h.waste
		if address != "" {
			conn, err := grpc.Dial(address, grpc.WithInsecure())
			if err != nil {
				fmt.Fprintln(os.Stderr, "dial:", err)
				os.Exit(1)
			}
			h.next = pb.NewChainServiceClient(conn)
		}
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(1)
		}
		server := grpc.NewServer()
		pb.RegisterChainServiceServer(server, h)
		go server.Serve(listener)
		address = listener.Addr().String()
	}
	fmt.Println(address)

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch question := in.Text(); question {
		case "runs":
			fmt.Println(atomic.LoadInt64(&wastes[0].started))
		case "quiet":
			fmt.Println(waitForQuiet(wastes, 30*time.Second))
		case "waste":
			var fields []string
			for _, w := range wastes {
				fields = append(fields, fmt.Sprintf("%d %d %d", atomic.LoadInt64(&w.started),
					atomic.LoadInt64(&w.cutShort), atomic.LoadInt64(&w.cpuNsAfterDeadline)))
			}
			fmt.Println(strings.Join(fields, " "))
		default:
			fmt.Println("unknown question: " + question)
		}
	}
}

// waitForQuiet waits until no piece of work has run for 100 ms (a call between two hops
// has no work started yet), as the C++ chain's WaitForQuiet does.
func waitForQuiet(wastes []*waste, timeout time.Duration) string {
	giveUp := time.Now().Add(timeout)
	quietSince := time.Now()
	for {
		quiet := true
		for _, w := range wastes {
			if atomic.LoadInt64(&w.ended) != atomic.LoadInt64(&w.started) {
				quiet = false
			}
		}
		now := time.Now()
		if !quiet {
			quietSince = now
		}
		if now.Sub(quietSince) >= 100*time.Millisecond {
			return "quiet"
		}
		if now.After(giveUp) {
			return "busy"
		}
		time.Sleep(5 * time.Millisecond)
	}
}
