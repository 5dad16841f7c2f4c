/// KRUInference defines what a KRU model is (a schema over the `.kru` container) and runs it: Kronecker
/// kernels, recurrent cells, streaming sessions, sampling and scoring. It depends on KRUFormat only, never on
/// BLAS or LAPACK, so any app can load and run models with the toolchain alone.
public enum KRUInferenceModule {}
