package io.toka.runtime.registry;

/**
 * Which service provides a tool.
 *
 * @param serviceId the {@code service.id}
 * @param ranking the {@code service.ranking} (0 when unset)
 * @param bundleId the id of the registering bundle
 * @param bundleSymbolicName the registering bundle's symbolic name
 * @param bundleVersion the registering bundle's version
 */
public record ToolProvider(long serviceId, int ranking, long bundleId, String bundleSymbolicName, String bundleVersion) {
}
