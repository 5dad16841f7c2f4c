// KRUTrain: training complex Kronecker Recurrent Units with backpropagation through time, written out as
// ordinary `.kru` models that KRUInference runs unchanged. The overview lives in Documentation.docc.
//
// Precision: everything here computes in Double. Training cost is dominated by loops that are memory-light
// (the state of a KRU is small), so Double costs little speed, and it makes finite-difference gradient checks
// meaningful (central differences in Float would be noise at 1e-3). Models are exported in single precision
// (complex64/f32), which is what the engine computes in anyway.
