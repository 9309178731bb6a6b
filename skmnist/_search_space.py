"""Old home of the search spaces, now :mod:`skmnist.search._spaces`."""

from skmnist.search._spaces import (  # noqa: F401
    PARAMS_ATTR,
    candidate,
    check_distributions,
    check_param_names,
    cnn_search_space,
    decode_params,
    default_search_space,
    encode_params,
    sample_params,
)
