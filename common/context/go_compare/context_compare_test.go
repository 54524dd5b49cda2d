// Package contextcompare measures Go's standard context on the operations that
// //common/context:context_benchmark measures for Baton's Context, so both can be run
// on one machine and compared. Standard library only.
//
//	cd common/context/go_compare && go test -bench . -benchmem
package contextcompare

import (
	"context"
	"strconv"
	"testing"
	"time"
)

type key int

var sink interface{}

func valueChain(depth int) context.Context {
	ctx := context.Background()
	for i := 0; i < depth; i++ {
		ctx = context.WithValue(ctx, key(i), i)
	}
	return ctx
}

// Creating one value context on top of a chain.
func BenchmarkWithValue(b *testing.B) {
	parent := valueChain(4)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink = context.WithValue(parent, key(100), i)
	}
}

// Building a whole chain of `depth` value contexts from Background.
func BenchmarkWithValueChain(b *testing.B) {
	for _, depth := range []int{1, 4, 16} {
		b.Run(strconv.Itoa(depth), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sink = valueChain(depth)
			}
		})
	}
}

// Looking up the key set last (nearest) and the key set first (farthest).
func BenchmarkValueLookup(b *testing.B) {
	for _, depth := range []int{1, 4, 16} {
		ctx := valueChain(depth)
		b.Run("depth="+strconv.Itoa(depth)+"/nearest", func(b *testing.B) {
			k := key(depth - 1)
			for i := 0; i < b.N; i++ {
				sink = ctx.Value(k)
			}
		})
		b.Run("depth="+strconv.Itoa(depth)+"/farthest", func(b *testing.B) {
			k := key(0)
			for i := 0; i < b.N; i++ {
				sink = ctx.Value(k)
			}
		})
	}
}

// A cancellable child of a cancellable parent, created then cancelled.
func BenchmarkWithCancelCreateCancel(b *testing.B) {
	parent, cancelParent := context.WithCancel(context.Background())
	defer cancelParent()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, cancel := context.WithCancel(parent)
		cancel()
	}
}

// A child with a timeout that does not expire, created then cancelled.
func BenchmarkWithTimeoutCreateCancel(b *testing.B) {
	parent, cancelParent := context.WithCancel(context.Background())
	defer cancelParent()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, cancel := context.WithTimeout(parent, time.Hour)
		cancel()
	}
}

// Err() on a live cancellable context.
func BenchmarkErrLive(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink = ctx.Err()
	}
}

// Creating a parent with n children, then cancelling the parent (which cancels all).
func BenchmarkCancelParentWithChildren(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			cancels := make([]context.CancelFunc, n)
			for i := 0; i < b.N; i++ {
				parent, cancelParent := context.WithCancel(context.Background())
				for c := 0; c < n; c++ {
					_, cancels[c] = context.WithCancel(parent)
				}
				cancelParent()
				for c := 0; c < n; c++ {
					cancels[c]()
				}
			}
		})
	}
}

// Registering a function to run when a context is done, then stopping it.
func BenchmarkAfterFuncRegisterStop(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stop := afterFunc(ctx, func() {})
		stop()
	}
}
