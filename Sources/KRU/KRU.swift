// The module apps import: `import KRU` brings the container (KRUFormat) and the engine (KRUInference), so an app
// can load a model, generate and score text without naming the two modules. Neither needs BLAS, LAPACK or the
// command line's dependencies.
@_exported import KRUFormat
@_exported import KRUInference
