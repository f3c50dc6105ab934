package io.toka.kernel.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** A service reference without a framework, ordered as OSGi orders them. */
final class TestRef implements ServiceReference<Object> {

    final long id;
    final int ranking;

    TestRef(long id, int ranking) {
        this.id = id;
        this.ranking = ranking;
    }

    @Override
    public Object getProperty(String key) {
        return switch (key) {
            case Constants.SERVICE_ID -> id;
            case Constants.SERVICE_RANKING -> ranking;
            default -> null;
        };
    }

    @Override
    public String[] getPropertyKeys() {
        return new String[] {Constants.SERVICE_ID, Constants.SERVICE_RANKING};
    }

    @Override
    public Bundle getBundle() {
        return null;
    }

    @Override
    public Bundle[] getUsingBundles() {
        return null;
    }

    @Override
    public boolean isAssignableTo(Bundle bundle, String className) {
        return true;
    }

    /** The OSGi rule: a higher ranking is greater; for equal rankings, the lower id is greater. */
    @Override
    public int compareTo(Object reference) {
        TestRef other = (TestRef) reference;
        if (id == other.id) {
            return 0;
        }
        if (ranking != other.ranking) {
            return ranking < other.ranking ? -1 : 1;
        }
        return id > other.id ? -1 : 1;
    }

    public Dictionary<String, Object> getProperties() {
        Hashtable<String, Object> d = new Hashtable<>();
        d.put(Constants.SERVICE_ID, id);
        d.put(Constants.SERVICE_RANKING, ranking);
        return d;
    }

    public <A> A adapt(Class<A> type) {
        return null;
    }

    @Override
    public String toString() {
        return "TestRef[id=" + id + ", ranking=" + ranking + "]";
    }
}
