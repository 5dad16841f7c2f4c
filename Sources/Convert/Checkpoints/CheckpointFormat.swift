/// The container formats ``Checkpoint/read(path:format:options:)`` understands.
public enum CheckpointFormat: String, Sendable, CaseIterable, Equatable {
    /// `torch.save` since PyTorch 1.6: a ZIP archive with `<folder>/data.pkl` and `<folder>/data/<key>`.
    case torchZip = "torch-zip"
    /// `torch.save(..., _use_new_zipfile_serialization=False)`: a sequence of pickles, then raw storages.
    case torchLegacy = "torch-legacy"
    /// Hugging Face safetensors: u64 header length, JSON header, one contiguous byte buffer.
    case safetensors
    /// One NumPy `.npy` array.
    case npy
    /// A ZIP archive of `.npy` files (`numpy.savez` / `numpy.savez_compressed`).
    case npz
}
