package io.toka.sandbox.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the sandbox launcher ({@code etc/io.toka.sandbox.cfg}). */
@ObjectClassDefinition(name = "Toka sandbox launcher",
        description = "How external programs are isolated: bubblewrap namespaces, prlimit rlimits, per-run cgroups.")
public @interface SandboxConfig {

    @AttributeDefinition(name = "Required",
            description = "true: refuse to run programs when bubblewrap is missing or cannot create namespaces. "
                    + "false: run them anyway under prlimit only, marked degraded.")
    boolean required() default true;

    @AttributeDefinition(name = "bwrap path", description = "Absolute path of the bubblewrap executable.")
    String bwrapPath() default "/usr/bin/bwrap";

    @AttributeDefinition(name = "prlimit path", description = "Absolute path of util-linux prlimit.")
    String prlimitPath() default "/usr/bin/prlimit";

    @AttributeDefinition(name = "setpriv path",
            description = "Absolute path of util-linux setpriv, used to switch to the run-as user when started as root.")
    String setprivPath() default "/usr/bin/setpriv";

    @AttributeDefinition(name = "Per-run cgroups",
            description = "Create a cgroup per run for memory, CPU and process limits when the host allows it.")
    boolean cgroups() default true;

    @AttributeDefinition(name = "Drop privileges",
            description = "When started as root, switch to runAsUid/runAsGid before bubblewrap, so sandboxed "
                    + "programs are an unprivileged user on the host too. Granted paths must then be accessible "
                    + "to that user.")
    boolean dropPrivileges() default true;

    @AttributeDefinition(name = "Run-as uid", description = "User id for sandboxed programs when started as root.")
    int runAsUid() default 65534;

    @AttributeDefinition(name = "Run-as gid", description = "Group id for sandboxed programs when started as root.")
    int runAsGid() default 65534;

    @AttributeDefinition(name = "Work root",
            description = "Directory holding the per-run private work directories; empty for "
                    + "${karaf.data}/sandbox (or ${java.io.tmpdir}/toka-sandbox outside Karaf).")
    String workRoot() default "";

    @AttributeDefinition(name = "Extra read-only paths",
            description = "Host paths bound read-only into every sandbox when they exist: what ordinary programs "
                    + "need besides /usr (each costs about 0.1 ms per run). With allow_network, the resolver files and "
                    + "/etc/ssl/certs are added. Never add secrets such as /etc/shadow, /root or /home.")
    String[] extraReadOnlyPaths() default {"/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime"};
}
