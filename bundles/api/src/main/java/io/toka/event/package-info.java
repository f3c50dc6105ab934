/**
 * Toka's events: the typed, versioned record of everything significant (tool calls, tokens, agents), the store
 * SPI that keeps them durably, and the bus that publishes them live.
 *
 * <p>An {@link io.toka.event.Event} is immutable once created by {@link io.toka.event.Events#create}; the store
 * assigns its ascending {@link io.toka.event.Event#seq() sequence number} when it is appended.
 */
@Export
@Version("1.3.0")
package io.toka.event;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
