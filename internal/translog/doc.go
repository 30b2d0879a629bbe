// Package translog is an append-only, signed transparency log of
// activation answers, in the style of Certificate Transparency (RFC 6962,
// RFC 9162) and the Go checksum database.
//
// A server appends one opaque record (a leaf) per answer with
// [Log.Append]. Appends that arrive while a batch is being written form
// the next batch (group commit): each batch is written with one fdatasync and
// covered by one signed checkpoint, and every caller gets a [Receipt]: its
// leaf index, the signed checkpoint and an inclusion proof. A client checks
// a receipt with [VerifyReceipt], keeps the checkpoint, and later checks
// that a newer checkpoint extends it with [VerifyConsistency] and a proof
// from [Log.ConsistencyProof]. An auditor checks a whole log offline with
// [VerifyExport] on the output of [Log.Export].
//
// The Merkle tree, record hashes and proofs are those of
// golang.org/x/mod/sumdb/tlog; checkpoints are golang.org/x/mod/sumdb/note
// notes signed with Ed25519, in the C2SP tlog-checkpoint text form:
//
//	<origin>
//	<tree size, decimal>
//	<root hash, base64>
//
//	— <origin> <base64 of key hash and signature>
//
// # Origins and keys
//
// The origin names the log and is also the note key name, so a verifier
// key string (see [VerifierKey]) says which log it is for. The convention
// is [Origin]: "volact-kms/sha256:<hex>" for a KMS host, where the hex is
// the SHA-256 of the host's Ed25519 public key (its certificate's key),
// and "volact-mak/sha256:<hex>" for the activation service. [NewSigner]
// and [NewVerifier] build the note signer and verifier from an Ed25519
// key and an origin.
//
// # Files
//
// A log is a directory holding three files and a lock:
//
//   - "log": a 16-byte magic "volact-tlog v1\n\x00", then two checkpoint
//     slots at offsets 4096 and 8192, then, from offset 12288, records.
//     A record is a u32 little-endian length n, a u32 little-endian
//     CRC-32C of the n bytes that follow, then n bytes: a type byte ('L'
//     for a leaf, 'C' for a checkpoint) and the payload (the leaf bytes,
//     or the signed checkpoint note). Each batch is one write of its leaf
//     records followed by the checkpoint record that covers them. The
//     file is allocated ahead in 1 MiB steps (fallocate), so zeros follow
//     the last record while the log is open: a batch written there is made
//     durable with fdatasync, which then writes no metadata. Close cuts
//     the zeros; Open takes zeros after the last record as that free space.
//   - A slot is a u32 length, a u32 CRC-32C, then a u64 sequence number, a
//     u64 count of hashes known to be synced in "hashes", and the signed
//     note of a checkpoint already on stable storage. Before each batch
//     is written, the newest durable checkpoint goes to the older slot, so
//     it becomes durable with that batch's fdatasync (or at Close); Open uses
//     the valid slot with the highest sequence number as the newest
//     checkpoint handed out, give or take the last batch.
//   - "hashes": the tlog stored hashes, 32 bytes each, the hash with
//     stored index i (tlog.StoredHashIndex) at offset 32*i: about 64
//     bytes per leaf. It is derived from the leaves: it is written with
//     each batch but synced only every 1 MiB and at Close.
//   - "lock": an advisory lock held while the log is open, so two
//     processes never append to (and fork) the same log.
//   - "torn-<offset>-<unix nanoseconds>": bytes cut from the end of "log"
//     by a recovery, kept for inspection; see [Recovery].
//
// # Guarantees
//
// Append returns only after its batch and the checkpoint covering it are
// on stable storage. After a crash or power cut, Open keeps exactly the
// batches whose checkpoint record is complete; leaves after the last
// complete checkpoint record (never acknowledged) and any torn bytes are
// moved aside to a torn-* file and reported by [Log.Recovery].
//
// Open re-reads every leaf, recomputes every hash and checks every
// checkpoint record against the leaves before it, and checks the newest
// slot checkpoint. It refuses to open, with an error wrapping [ErrFork],
// when a signed checkpoint would not be reproduced (the log holds fewer
// leaves than a checkpoint already signed, or a leaf changed), and with
// an error wrapping [ErrCorrupt] when the hashes file disagrees with the
// leaves in its synced part. A fork must be resolved by a person, not
// papered over; Open changes no file when it refuses.
//
// A checkpoint is handed out (in a receipt or by [Log.Checkpoint]) only
// once it is durable, so a log never hands out two trees of one size. A
// checkpoint signed for a batch that a crash cut short was never handed
// out, and its size is signed again after recovery. The one case Open
// cannot tell from a crash is damage, after its fsync, to the very last
// batch of a log that was not closed: the slot may be one batch behind.
//
// A damaged or missing hashes file outside its synced part is rebuilt
// from the leaves (see [Recovery]); inside it, Open refuses, and removing
// the hashes file asks for a rebuild.
//
// The log keeps no leaves in memory: hashes are read from the hashes file
// through a small cache, and Open streams the file once.
package translog
