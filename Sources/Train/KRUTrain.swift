// KRUTrain: training complex Kronecker Recurrent Units and PyTorch's real cells (dense or Kronecker-factored) with
// backpropagation through time, written out as ordinary `.kru` models that KRUInference runs unchanged; the whole
// run of `kru train` and `kru finetune` (TrainingSettings, TrainingPlan, TrainingRun). The overview lives in
// Documentation.docc.
//
// Precision: parameters, gradients and the optimizer are Double. The passes run in single precision by default
// (SinglePrecisionPass on the C kernels of Sources/CTrainKernels and sgemm) or in Double (NetworkPass), the
// reference that finite-difference gradient checks use and the single-precision passes are tested against
// (docs/TRAINING.md, "Precision and speed"). Models are exported in single precision (complex64/f32), which is what
// the engine computes in, with the Kronecker factors at their trained precision.
