//go:build !go1.21

package contextcompare

import "context"

// Before Go 1.21 (Debian 12 ships 1.19) there is no context.AfterFunc; this is the
// idiom programs used instead: a goroutine waiting on Done or on a stop channel.
func afterFunc(ctx context.Context, f func()) func() bool {
	stop := make(chan struct{})
	ran := make(chan bool, 1)
	go func() {
		select {
		case <-ctx.Done():
			f()
			ran <- true
		case <-stop:
			ran <- false
		}
	}()
	return func() bool {
		close(stop)
		return !<-ran
	}
}
