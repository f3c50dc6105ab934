package io.toka.runtime.internal.execution;

import java.lang.annotation.Annotation;

/** A fake of the manager's configuration annotation, with the defaults and fluent setters. */
final class TestConfig implements RuntimeManagerImpl.Config {

    int maxConcurrentPerEngine = 4;
    String[] concurrency = {};
    long queueTimeoutMillis = 5000;
    int cacheEntries = 256;
    int historySize = 1000;
    int defaultTimeoutSeconds = 30;
    int maxTimeoutSeconds = 300;
    long defaultMemoryBytes = 256L << 20;
    long maxMemoryBytes = 2048L << 20;
    long maxOutputBytes = 1L << 20;
    long watchdogGraceMillis = 2000;

    TestConfig concurrency(String... v) {
        concurrency = v;
        return this;
    }

    TestConfig queueTimeoutMillis(long v) {
        queueTimeoutMillis = v;
        return this;
    }

    TestConfig cacheEntries(int v) {
        cacheEntries = v;
        return this;
    }

    TestConfig historySize(int v) {
        historySize = v;
        return this;
    }

    TestConfig watchdogGraceMillis(long v) {
        watchdogGraceMillis = v;
        return this;
    }

    @Override
    public Class<? extends Annotation> annotationType() {
        return RuntimeManagerImpl.Config.class;
    }

    @Override
    public int maxConcurrentPerEngine() {
        return maxConcurrentPerEngine;
    }

    @Override
    public String[] concurrency() {
        return concurrency.clone();
    }

    @Override
    public long queueTimeoutMillis() {
        return queueTimeoutMillis;
    }

    @Override
    public int cacheEntries() {
        return cacheEntries;
    }

    @Override
    public int historySize() {
        return historySize;
    }

    @Override
    public int defaultTimeoutSeconds() {
        return defaultTimeoutSeconds;
    }

    @Override
    public int maxTimeoutSeconds() {
        return maxTimeoutSeconds;
    }

    @Override
    public long defaultMemoryBytes() {
        return defaultMemoryBytes;
    }

    @Override
    public long maxMemoryBytes() {
        return maxMemoryBytes;
    }

    @Override
    public long maxOutputBytes() {
        return maxOutputBytes;
    }

    @Override
    public long watchdogGraceMillis() {
        return watchdogGraceMillis;
    }

    @Override
    public String workspace() {
        return "/tmp/toka-test-workspace";
    }
}
