"""The model definition: REPLACE THIS with your own model.

``build_model`` returns an unfitted scikit-learn estimator that takes a DataFrame with the
columns of the feature contract and supports ``predict_proba``. Preprocessing lives inside
the pipeline, so training and serving apply exactly the same transformation.
"""

from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .contracts.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

#: Name recorded with every trained version.
MODEL_NAME = "churn-classifier"
#: Fixed seed so that the same data always gives the same model.
RANDOM_STATE = 42


def build_model() -> Pipeline:
    """A calibrated-enough baseline: scaled numbers, one-hot categories, logistic regression."""
    preprocess = ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(NUMERIC_FEATURES)),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
        ]
    )
    classifier = LogisticRegression(max_iter=1_000, random_state=RANDOM_STATE)
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])
