"""A small, real DNS management service: the DNS Planner and Enactors of `models/dns`.

Route53's role is played by BIND 9 (`bind.BindServer`, on a loopback port), written with
RFC 2136 UPDATE messages (`zone.Zone`); the plan store is SQLite or PostgreSQL
(`store.PlanStore`); `service` has the Planner and the Enactors, one call per step;
`conformance.DnsAdapter` connects it to raceproof (`raceproof replay/conform`); `run`
runs it as concurrent processes writing an event log (`raceproof validate`).
"""
