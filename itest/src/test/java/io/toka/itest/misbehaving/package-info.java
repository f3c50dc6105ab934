/**
 * Tool bundles written to misbehave, one package each; {@code MisbehavingToolsIT} packs each package into its own
 * bundle jar (with a hand-written manifest) and drops it into a running distribution's deploy folder.
 */
package io.toka.itest.misbehaving;
