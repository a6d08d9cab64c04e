"""Pod Security Admission: the admission configuration, and the enforcement plan (`kubeaudit psa-plan`)."""
