"""Candidate NLU pipelines (`*.yml`), the code that compares them and renders reports, and
the components they added (`tfidf.TfidfLogisticRegressionClassifier`,
`thai_words.ThaiWordCountVectorsFeaturizer`)."""
