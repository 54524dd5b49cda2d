//go:build go1.21

package contextcompare

import "context"

// Go 1.21 and later: the standard context.AfterFunc.
func afterFunc(ctx context.Context, f func()) func() bool {
	return context.AfterFunc(ctx, f)
}
