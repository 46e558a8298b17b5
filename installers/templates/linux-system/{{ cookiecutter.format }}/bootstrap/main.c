/*
 * Launcher of {{ cookiecutter.formal_name }}: embeds the system Python
 * {{ cookiecutter.python_version|py_tag }} in an isolated configuration and runs the app module.
 *
 * Layout (all relative to this binary, <prefix>/bin/{{ cookiecutter.app_name }}):
 *   <prefix>/{{ cookiecutter.lib_dir }}/{{ cookiecutter.app_name }}/app           the app's sources
 *   <prefix>/{{ cookiecutter.lib_dir }}/{{ cookiecutter.app_name }}/app_packages  its requirements (a site dir: .pth files run)
 *
 * Isolated means: no PYTHON* variables, no user site-packages, no system
 * dist-packages, so what runs is exactly what the package shipped. Bytecode is
 * never written (the install tree is read-only); shipped .pyc files are used.
 * BRIEFCASE_MAIN_MODULE overrides the module (Briefcase's test mode);
 * BRIEFCASE_DEBUG prints the paths used.
 */
#include <Python.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STDLIB "/usr/{{ cookiecutter.lib_dir }}/python{{ cookiecutter.python_version|py_tag }}"
#define APP_ROOT "/{{ cookiecutter.lib_dir }}/{{ cookiecutter.app_name }}"

static void fail(PyConfig *config, PyStatus status) {
    PyConfig_Clear(config);
    Py_ExitStatusException(status);
}

static void append_path(PyConfig *config, const char *path) {
    wchar_t *wide = Py_DecodeLocale(path, NULL);
    PyStatus status;
    if (wide == NULL) {
        fprintf(stderr, "{{ cookiecutter.app_name }}: cannot decode path %s\n", path);
        exit(70);
    }
    status = PyWideStringList_Append(&config->module_search_paths, wide);
    PyMem_RawFree(wide);
    if (PyStatus_Exception(status)) fail(config, status);
    if (getenv("BRIEFCASE_DEBUG")) printf("sys.path += %s\n", path);
}

int main(int argc, char *argv[]) {
    PyPreConfig preconfig;
    PyConfig config;
    PyStatus status;
    char scratch[PATH_MAX], prefix[PATH_MAX];
    char app_path[PATH_MAX + 64], packages_path[PATH_MAX + 64];  /* prefix + APP_ROOT + leaf */
    char *exe_path, *module, *setup;
    size_t setup_len;

    exe_path = realpath("/proc/self/exe", NULL);
    if (exe_path == NULL) {
        perror("{{ cookiecutter.app_name }}: /proc/self/exe");
        return 70;
    }
    /* <prefix>/bin/<app> -> <prefix>; dirname() edits its argument, so work on a copy. */
    snprintf(scratch, sizeof scratch, "%s", exe_path);
    snprintf(prefix, sizeof prefix, "%s", dirname(dirname(scratch)));
    snprintf(app_path, sizeof app_path, "%s" APP_ROOT "/app", prefix);
    snprintf(packages_path, sizeof packages_path, "%s" APP_ROOT "/app_packages", prefix);

    PyPreConfig_InitIsolatedConfig(&preconfig);
    preconfig.utf8_mode = 1;
    preconfig.configure_locale = 1;
    status = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(status)) Py_ExitStatusException(status);

    PyConfig_InitIsolatedConfig(&config);
    config.buffered_stdio = 0;
    config.write_bytecode = 0;
    config.install_signal_handlers = 1;
    config.site_import = 0;
    config.module_search_paths_set = 1;

    status = PyConfig_SetBytesString(&config, &config.executable, exe_path);
    if (PyStatus_Exception(status)) fail(&config, status);
    module = getenv("BRIEFCASE_MAIN_MODULE");
    status = PyConfig_SetBytesString(&config, &config.run_module,
                                     module ? module : "{{ cookiecutter.module_name }}");
    if (PyStatus_Exception(status)) fail(&config, status);
    status = PyConfig_SetBytesArgv(&config, argc, argv);
    if (PyStatus_Exception(status)) fail(&config, status);

    append_path(&config, STDLIB);
    append_path(&config, STDLIB "/lib-dynload");
    append_path(&config, app_path);

    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status)) fail(&config, status);
    PyConfig_Clear(&config);

    /* app_packages as a site dir, so the .pth files of installed packages run. */
    setup_len = strlen(packages_path) + 64;
    setup = malloc(setup_len);
    snprintf(setup, setup_len, "import site\nsite.addsitedir(%s%s%s)\n", "r'''", packages_path, "'''");
    if (PyRun_SimpleString(setup) != 0) {
        fprintf(stderr, "{{ cookiecutter.app_name }}: cannot add %s to the module path\n", packages_path);
        return 70;
    }
    free(setup);
    free(exe_path);

    /* Runs config.run_module like `python -m`, handles SystemExit, finalizes. */
    return Py_RunMain();
}
