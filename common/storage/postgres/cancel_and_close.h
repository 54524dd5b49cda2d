// CancelAndCloseAsync: stops a PostgreSQL statement and closes its connection, off the
// caller's thread.
//
// A cancel request is a connection of its own to the server (the postmaster forks to
// take it), which takes milliseconds; closing the abandoned connection costs a few
// more. The caller whose Context ended should wait for neither. One thread, started on
// first use, does both in order: cancel (so the server stops burning CPU on work nobody
// waits for), then close. A process-wide registry: it lives for the whole process, and
// a connection still queued at exit is simply left to the operating system.
#ifndef BATON_COMMON_STORAGE_POSTGRES_CANCEL_AND_CLOSE_H_
#define BATON_COMMON_STORAGE_POSTGRES_CANCEL_AND_CLOSE_H_

// Debian puts libpq under postgresql/; its own includes are relative to it.
#include <postgresql/libpq-fe.h>

namespace baton::storage {

// Takes ownership of `conn`, which is mid-statement: cancels the statement, then
// closes the connection (PQfinish).
void CancelAndCloseAsync(PGconn* conn);

}  // namespace baton::storage

#endif  // BATON_COMMON_STORAGE_POSTGRES_CANCEL_AND_CLOSE_H_
