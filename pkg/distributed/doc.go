// Package distributed trains a sweep's trials on many machines through NATS
// JetStream: a coordinator (the process running the sweep, which keeps the
// bbolt file, the one source of truth) publishes trial segments to a
// work-queue stream, and workers anywhere train them and send back their
// checkpoints and results.
//
// # Streams, subjects and objects
//
//	SWEEP_WORK     sweep.work.<key>.<trial>     work queue, one message per subject;
//	                                             one durable pull consumer "workers"
//	                                             shared by every worker of every sweep
//	SWEEP_RESULTS  sweep.results.<key>.<trial>  work queue; one durable consumer per
//	                                             sweep, "coordinator_<key>", read by
//	                                             its coordinator
//	sweep.progress.<key>.<trial>          core NATS: records and checkpoint notices
//	object store SWEEP_BLOBS               <key>/<trial>/ck   the trial's latest checkpoint
//	                                       <key>/<trial>/res/<worker>-<n>  a result
//
// <key> identifies one sweep database (a hash of its name and creation
// time), so several sweeps can share a server. Messages are small and carry
// references; checkpoints and weights, larger than nats-server's default 1
// MB max_payload for CIFAR-size networks, go in the object store.
//
// # Acknowledgements
//
// A worker acks a work message only after the server acknowledged its
// result message (and the result's object before it); the coordinator acks
// a result only after its bbolt commit (search.Job.Stored). A worker that
// dies leaves its work message unacked: it is redelivered after the ack
// wait and resumes from the trial's latest checkpoint object. A result
// that arrives twice (two deliveries of one segment, or a coordinator that
// died between its commit and its ack) finds its trial final in bbolt and
// is acked and dropped. Each trial has its own work subject, which the
// work stream lets hold one message (a second is refused, not queued), and
// its own results subject: a restarted coordinator finds a segment still
// queued or in training, or its result waiting, and queues it no second
// time, however long ago it was queued.
//
// Arrows point one way: cmd/sweep uses this package, which uses search,
// store, train, data and config, none of which know about it.
package distributed
