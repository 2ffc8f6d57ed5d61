"""Candidate NLU pipelines (`*.yml`), the code that compares them and renders reports, and
the one component they added (`tfidf.TfidfLogisticRegressionClassifier`)."""
