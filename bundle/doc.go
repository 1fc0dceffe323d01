// Package bundle owns the format of a result bundle: what one pod or node
// hands back after `memstorm run --bundle DIR`, self-contained, so that a
// fleet report can be made from bundles gathered any way (kubectl cp,
// sonobuoy retrieve, a shared volume).
//
// A bundle is a directory with bundle.json at its root:
//
//	bundle.json   the Manifest: format, node, host, command, exit code, runs
//	junit.xml     the runs' expectations as JUnit XML
//	runs/...      the run directories (package rundir's format)
//
// Inside a results directory (the one Sonobuoy plugins write to, mounted
// at /tmp/sonobuoy/results by default) `memstorm run --bundle DIR` leaves
//
//	DIR/memstorm-NODE/          the bundle
//	DIR/memstorm-NODE.tar.gz    the same bundle as a gzipped tarball, bundle.json at its root
//	DIR/done                    the tarball's path, written last
//
// which is the Sonobuoy plugin contract: the worker sidecar waits for
// `done` and sends the file it names to the aggregator, where
// `sonobuoy retrieve` collects it.
//
// Reading (Finder) treats a bundle as input that may have been copied,
// truncated or planted: bundle.json is decoded strictly within
// MaxManifestBytes, a tarball is read into memory (never unpacked on
// disk) within MaxTarBytes and MaxTarEntries accepting only plain files
// and directories with local names, and every fault is a
// *rundir.InputError naming the file, inside its tarball for one that
// came in one (exit 2 on the command line).
package bundle
