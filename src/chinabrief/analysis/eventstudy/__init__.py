"""Event-study engine: normal-return models, abnormal returns, CARs and CAAR tests.

Pure functions on pandas/NumPy inputs; no I/O. Steps: :func:`prepare_event_study` ->
:func:`fit_models` -> :func:`compute_statistics`, or :func:`run_event_study` for all three.
"""
from .models import (
    MODELS,
    NormalReturnFit,
    abnormal_returns,
    check_model,
    expected_returns,
    fit_constant_mean,
    fit_market_adjusted,
    fit_market_model,
    fit_normal_returns,
)
from .study import (
    ABNORMAL_RETURN_COLUMNS,
    CAAR_COLUMNS,
    CAAR_TESTS,
    CAR_COLUMNS,
    EXCLUSION_COLUMNS,
    EventStudyResult,
    FittedModel,
    PreparedEventStudy,
    compute_statistics,
    equal_weighted_market,
    fit_models,
    prepare_event_study,
    run_event_study,
)
from .significance import (
    CarTest,
    CorrelationSums,
    RankPanel,
    RankSums,
    StandardizedResiduals,
    StatResult,
    ar_variance,
    average_ranks,
    bmp_kp_t,
    bmp_t,
    caar_confidence_interval,
    car_t_test,
    car_variance,
    corrado_from_sums,
    corrado_rank_z,
    correlation_from_sums,
    cross_correlation_sums,
    cross_sectional_t,
    generalized_sign_z,
    kolari_pynnonen_adjust,
    mean_cross_correlation,
    patell_z,
    pooled_cross_correlation,
    rank_panel,
    rank_sums,
    standardize_residuals,
    standardized_car,
    standardized_ranks,
)
from .windows import (
    DEFAULT_ESTIMATION_WINDOW,
    DEFAULT_EVENT_WINDOWS,
    EventWindows,
    build_event_windows,
    check_daily_calendar,
    gather_rows,
    locate_days,
    validate_window,
    validate_windows,
)

__all__ = [name for name in dir() if not name.startswith("_") and name not in {"models", "study", "tests", "windows"}]
