/// Results the benchmark computes only to keep them alive: a write to a global cannot be optimised away, so
/// neither can the work that produced the value. main prints nothing from it.
nonisolated(unsafe) var resultSink = 0.0
