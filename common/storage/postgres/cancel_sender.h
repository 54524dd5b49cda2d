// CancelSender: sends PostgreSQL cancel requests off the caller's thread.
//
// A cancel request is a connection of its own to the server (the postmaster forks to
// take it), which takes milliseconds; the request's caller should not wait for it. One
// thread, started on first use, sends them in order. A process-wide registry: it lives
// for the whole process, and a request still queued at exit is simply not sent.
#ifndef BATON_COMMON_STORAGE_POSTGRES_CANCEL_SENDER_H_
#define BATON_COMMON_STORAGE_POSTGRES_CANCEL_SENDER_H_

// Debian puts libpq under postgresql/; its own includes are relative to it.
#include <postgresql/libpq-fe.h>

namespace baton::storage {

// Takes ownership of `cancel` (from PQgetCancel) and sends it soon.
void SendCancelAsync(PGcancel* cancel);

}  // namespace baton::storage

#endif  // BATON_COMMON_STORAGE_POSTGRES_CANCEL_SENDER_H_
