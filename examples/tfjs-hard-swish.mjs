// SPDX-License-Identifier: MIT
// hard_swish for TF.js Layers, which has no such activation: x·relu6(x + 3)/6 registered under
// Keras's name, so a model trained with it saves (and loads back) as Keras writes it:
// {"activation": "hard_swish"}. Used by digits-activations/train.mjs and the tests that run it.

/** Register `hard_swish` with the caller's @tensorflow/tfjs (idempotent). */
export function registerHardSwish(tf) {
  if (tf.serialization.SerializationMap.getMap().classNameMap.hard_swish !== undefined) return;
  // saved under className; loading converts a model.json's snake_case names to camelCase first
  for (const name of ['hard_swish', 'hardSwish']) {
    class HardSwish extends tf.serialization.Serializable {
      static className = name;
      apply(x) {
        return tf.tidy(() => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)));
      }
      getConfig() {
        return {};
      }
    }
    tf.serialization.registerClass(HardSwish);
  }
}
