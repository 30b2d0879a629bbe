// Package license is volact's licensing-state core: it decides whether an
// installed product is licensed, in grace or in notification mode, and how
// that state changes when keys are installed, activations succeed or fail,
// the hardware changes or the product is rearmed.
//
// The package is pure. It does no I/O and never reads the clock: the current
// time and the machine's hardware id are always arguments. The caller (the
// client store and the CLI) loads a [Product], calls [Evaluate] or a
// transition such as [InstallKey], [ApplyGrant], [RecordFailure], [Observe]
// or [Rearm], and saves the [Product] it gets back. Transitions return a new
// value and never modify their argument.
//
// # States
//
// [Evaluate] returns one of five statuses, with the codes, JSON names and
// slmgr/ospp texts of design §2 ([Status.String], [Status.SlmgrText],
// [Status.OsppToken]):
//
//   - [Unlicensed] (0): no product key is installed.
//   - [OOBGrace] (2): a key is installed but not activated; the initial grace
//     ([Policy.GraceDays], default 30 days) runs from [Product.GraceStart].
//   - [Licensed] (1): a MAK (or retail) grant bound to this hardware, which is
//     permanent, or a KMS grant before its expiry (default 180 days after the
//     last successful activation or renewal).
//   - [OOTGrace] (3): the KMS grant expired, or the hardware id differs from
//     the one the grant is bound to, or (when the caller matched the
//     hardware sources recorded with the grant, see [Machine] and
//     [EvaluateOn]) the hardware is out of tolerance. The out-of-tolerance grace
//     ([Policy.OOTGraceDays], default 30 days) starts at the KMS expiry, or
//     when [Observe] first saw the new hardware.
//   - [Notification] (5): a grace has run out; the reason is
//     [hresult.GraceExpired] (0xC004F009). Volume products (MAK, KMS client)
//     keep full function. A retail product in notification has
//     [Eval.ReducedFunctionality] set so that the vendor's application can
//     restrict features.
//
// Every period is a whole number of 24-hour days and its end is exclusive:
// with 30 days of grace from G, G+30d-1ns is still grace and G+30d is
// notification. The same holds for the KMS validity and the OOT grace.
//
// # Rules that keep grace honest
//
// Installing a key starts the initial grace only if the product never had
// one. Replacing the key by another one, of the same channel or not (a MAK,
// a published KMS client key and back), keeps the running grace (but drops
// the grant), and
// [UninstallKey] keeps [Product.GraceStart] and [Product.RearmCount], so
// uninstalling and installing a key is not a free rearm. [Rearm] is the only
// way to restart the grace: it is allowed only while the product is not
// activated, at most [Policy.RearmLimit] times (default 5), and regenerates
// the client machine id (CMID).
//
// [Clock] guards against a clock set back: a system time more than
// [RollbackTolerance] (10 minutes) behind the trusted timeline is replaced
// by that timeline, which keeps running at the clock's pace (a rollback
// never freezes grace), and the high-water mark never advances beyond the
// time a run observed. [Realign] moves the timeline back to a grant's
// signed time without giving grace back.
//
// # Schedule
//
// An unactivated KMS client retries every activation interval (default 120
// minutes); an activated one renews every renewal interval (default 10080
// minutes, 7 days). Both come from the KMS host's last answer and must lie in
// 15..43200 minutes ([ValidateInterval]). [NextAttempt] says whether a
// contact is due now (for `act --if-due`).
//
// # Remaining days
//
// ospp-style output floors the remaining days ([FloorDays]); slmgr-style
// output rounds them up ([CeilDays]). Minutes are always floored ([Minutes]).
package license
