package io.toka.engine.process.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the process engines (PID {@value #PID}), shared by shell and python. */
@ObjectClassDefinition(name = "Toka process engines",
        description = "Interpreters and sandbox settings of the shell and python execution engines.")
public @interface ProcessConfig {

    /** Configuration PID shared by both engines. */
    String PID = "io.toka.engine.process";

    @AttributeDefinition(name = "Bash", description = "Absolute path of the bash interpreter.")
    String bashPath() default "/bin/bash";

    @AttributeDefinition(name = "Python", description = "Absolute path of the Python 3 interpreter.")
    String pythonPath() default "/usr/bin/python3";

    @AttributeDefinition(name = "Allow network",
            description = "Let code reach the network. Off: a private network namespace with only loopback.")
    boolean allowNetwork() default false;

    @AttributeDefinition(name = "Processes",
            description = "Processes and threads one run may have.", min = "1")
    int maxProcesses() default 64;
}
