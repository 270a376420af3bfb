"""`make demo`: train the MNIST example end to end, export it, and predict a few test digits.

    python examples/mnist/demo.py --data_url ../shared/data/mnist-10k --train_url output/mnist-demo

Uses the IDX files in --data_url when they are there; otherwise MNIST is downloaded with
tensorflow-datasets. Prints the evaluation, the export path and predictions of the
exported SavedModel for five test images.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_url", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--train_url", default="output/mnist-demo", help="model directory")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    import modelmaker
    data_url = args.data_url if args.data_url and os.path.isdir(args.data_url) else None
    if args.data_url and data_url is None:
        print(f"demo: {args.data_url} not found; MNIST will be downloaded with tensorflow-datasets")
    try:
        result = modelmaker.fit(os.path.join(HERE, "mnist.py"),
                                os.path.join(HERE, "parameters.json"),
                                data_url=data_url, train_url=args.train_url)
    except modelmaker.ModelmakerError as e:
        print(f"demo: error: {e}", file=sys.stderr)
        return 2
    print(f"\naccuracy {result.metrics['accuracy']:.4f} at step {result.global_step}; "
          f"SavedModel in {result.export_dir}")
    _predict_some(result.export_dir, data_url)
    return 0


def _predict_some(export_dir, data_url, count=5):
    """Loads the exported SavedModel in a v1 Session and predicts `count` test images."""
    import numpy as np
    import tensorflow as tf
    sys.path.insert(0, HERE)
    import mnist_data
    if data_url and mnist_data.has_split(data_url, "test"):
        images, labels = mnist_data.load_split(data_url, "test")
    else:
        images, labels = mnist_data.download_split("test")
    images = (images[:count] / 255.0).astype(np.float32)
    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        meta = tf.compat.v1.saved_model.load(sess, ["serve"], export_dir)
        sig = meta.signature_def["serving_default"]
        fetch = {k: v.name for k, v in sig.outputs.items()}
        out = sess.run(fetch, {sig.inputs["images"].name: images})
    print("predictions from the exported model (serving_default):")
    for i in range(count):
        digit = int(np.ravel(out["class_id"][i])[0])
        print(f"  test image {i}: label {labels[i]}  predicted {digit}  "
              f"(p={out['probabilities'][i][digit]:.3f})")


if __name__ == "__main__":
    sys.exit(main())
