"""Starting a cluster: the local launcher and the Kubeflow TFJob printer."""
