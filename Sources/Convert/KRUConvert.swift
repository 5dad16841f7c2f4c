/// KRUConvert reads dense recurrent checkpoints (PyTorch, safetensors, NumPy) without executing anything in
/// them and factorizes each recurrent matrix into its nearest Kronecker factors. Filled in by the converter issue.
public enum KRUConvertModule {}
