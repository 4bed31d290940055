"""scikit-learn drop-ins: ``MLPClassifier`` and ``MLPRegressor``, with
scikit-learn's parameters and fitted attributes over ``Network`` + ``train``."""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "check_training_data": "._training_data",
    "check_checkpoint": "._checkpoint",
    "epochs_of": "._checkpoint",
    "check_trained_on": "._trained_on",
    "retimed_files": "._trained_on",
    "trained_on": "._trained_on",
    "validation_files": "._trained_on",
    "read_checkpoint": "._checkpoint",
    # a folder's row groups counted against early stopping's share and the ranks before any row is read (train DIR, the fit)
    "refuse_unit_counts": "._stream_plan",
    # a streamed fit's statistics pass read by rank 0 alone under torch.distributed, the others given its result (train DIR too)
    "shared_scan": "._stream_plan",
    # every rank's files and checkpoint compared with rank 0's before a row is read (each machine reads its own disk)
    "check_same_files": "._same_on_ranks",
    "check_same_checkpoint": "._same_on_ranks",
    "checkpoint_differs": "._same_on_ranks",
    "compared_with_rank_0": "._same_on_ranks",
    "CheckpointScalingMismatch": "._target_scale",
    "MLPClassifier": "._mlp",
    "MLPRegressor": "._mlp",
    "load_source": "._transfer",
    "load_source_record": "._transfer",
    "KeepsFittedSource": "._transfer",
    "reuse_layers": "._transfer",
    "fit_reused": "._transfer",
    "refuse_frozen_fresh": "._transfer",
    "restored_on_error": "._restore",
    # set_output / get_feature_names_out for every estimator whose transform returns hidden activations
    "HiddenOutput": "._set_output",
    "hidden_output": "._set_output",
    # the model file of an MLP; ship's Pipeline files store the TableEncoder's preprocessing and the steps with it
    "to_file": "._file",
    # an MLP file of a table's dense network (dropout and norms included) read and run in NumPy, without the estimator class (the server's fast start)
    "DenseModel": "._np_model",
    "dense_model": "._np_model",
    "SECTION_TENSORS": "._file",
    "sizes_to_json": "._file",
    "sizes_from_json": "._file",
    "explain_model": "._explain",
    "lr_find": "._lr_find",
    "distill": "._distill",
    # the weighting the applications' classifiers share with MLPClassifier
    "check_sample_weight": "._checks",
    # an MLP's constructor parameters checked as fit checks them, before any data is read (the CLI's option checks)
    "validate_params": "._checks",
    # fit's own validation set (X_val, y_val, sample_weight_val): the pairing rules and the label check the apps share
    "validation_given": "._validation_data",
    "validation_labels": "._validation_data",
    # a streamed fit's own validation rows, checked as fit(source, X_val=) checks them (train DIR --validation, before the data check)
    "stream_validation": "._stream_validation",
    "loss_row_weights": "._checks",
    # the first text column of a DataFrame, for the apps' "X has non-numeric values" message (the Autoencoder's)
    "first_text_column": "._checks",
    # X and y as values NumPy reads (a tensor detached, on the CPU, widened; a meta tensor refused), and the refusal of a
    # DataFrame's date, duration or complex columns by name: the rules of the MLP estimators the Autoencoder and Forecaster share
    "as_values": "._checks",
    "refuse_unreadable_columns": "._checks",
    # the first epoch an SWA fit averages (search's trials and refits start SWA where the estimator would)
    "swa_start_epoch": "._averaging",
    # weight averaging as a fit option, shared with the applications: its parameter rows, refusals and the fit call's averager
    "AVERAGING_MEANING": "._averaging",
    "AVERAGING_PARAMS": "._averaging",
    "PARTIAL_FIT_AVERAGING": "._averaging",
    "averaging_of": "._averaging",
    "check_averaging": "._averaging",
    "warn_nothing_averaged": "._averaging",
    # fit(X, y, epochs=5) from Keras / Lightning: one TypeError naming our equivalent (the apps' fit shares it)
    "fit_keywords": "._fit_keywords",
    "UnknownFitKeywordError": "._fit_keywords",
    "check_class_weight": "._class_weight",
    "class_row_weights": "._class_weight",
    "combine": "._class_weight",
    "smooth_targets": "._class_weight",
    "class_weight_to_json": "._class_weight",
    "class_weight_from_json": "._class_weight",
    # dtype=np.float64 / torch.float64: the refusal names the string to pass (the apps' dtype too)
    "dtype_refusal": "._mlp_params",
    # random_state checked as scikit-learn reads it (None, an int, a RandomState): the applications' random_state too
    "check_random_state_param": "._mlp_params",
    # a refusal's note for another library's MLP or a Pipeline around ours (lens, cost, prune, explain)
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
