// Package sim fast-forwards a fleet of volact clients, KMS hosts and the
// activation service through the product's own rules, in virtual time
// (volactd sim SCENARIO.yaml).
//
// There is no second implementation of a licensing rule here: every
// machine's state is a [license.Product] handed to the licensing core
// ([license.InstallKey], [license.NextAttempt], [license.ApplyGrant],
// [license.RecordFailure], [license.Rearm], [license.Evaluate]), and every
// KMS host counts with the host's own [kms.Counter] and threshold rule
// ([kms.Counter.Activates]) and signs what [kms.GrantFor] says. What the
// simulator adds is the world around them: which machines connect on which
// day, which hosts are up, DNS, the activation service and MAK keys.
//
// # Scenario
//
// A scenario is strict YAML (an unknown field is an error):
//
//	name: 10-day host outage      # a title
//	seed: 7                       # the random generator's seed
//	days: 120                     # days to simulate (day 0 .. days-1)
//	start: 2030-01-07             # the date of day 0 (default 2030-01-01)
//	hosts:                        # KMS hosts, found through DNS SRV
//	  - name: kms1
//	    count: site               # hosts naming the same count share it (PostgreSQL); default: own
//	    groups: [suite, server]   # groups served (default: all)
//	outages:                      # from day `from` up to, not including, day `to`
//	  - {of: host, host: kms1, from: 20, to: 30}
//	  - {of: dns, from: 50, to: 52}
//	  - {of: service, from: 60, to: 61}
//	mak_keys:
//	  - {name: mak-a, sku: suite-pro, activations: 500}
//	machines:                     # kinds of machines
//	  - name: office
//	    sku: workstation-ent      # a product of the catalog
//	    channel: kms_client       # or mak (then mak_key: mak-a)
//	    count: 400
//	    connect: daily            # daily, never or N/month (N of 30 days, at random)
//	    at: "08:30"               # time of day of its connection (default 09:00)
//	    spread_minutes: 60        # requests spread after `at` (request rates only)
//	    install_day: 0            # the day the key is installed
//	    reimage_every_days: 90    # a reimage: new store and CMID, key installed again
//	    rearm_every_days: 0       # a rearm attempt (refused while activated)
//
// # Time model
//
// The simulation steps day by day. Each machine connects at most once a
// day, at its kind's time: that is when its key is installed, it is
// reimaged or rearmed, and it runs act --if-due (which asks a host only
// when the schedule says so, as a login script or VPN hook does). The
// states, counts and MAK keys of a day are taken at 23:59. Machines of
// kinds with an earlier time are counted first, then by their order in
// the scenario. A KMS client tries its cached host first, then the hosts
// in a random order (equal SRV weights); a host that is down is skipped;
// the first one up answers. A DNS outage finds no host at all. The
// hosts' intervals are the defaults (120 minutes, 7 days), so a client
// that failed is always due again the next time it connects.
//
// Per machine the simulator keeps a few small integers; a machine is
// looked at only on the days something can happen to it (day buckets),
// so a fleet of a million machines over a year takes seconds.
package sim
