/* test_jsonpatch.c — unit tests of jsonpatch: JSON Patch, merge patch, strategic merge patch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonpatch.h"

/*
 * Test JSON is written with single quotes so that it reads like the objects it stands
 * for; js() turns them into double quotes. No test string needs a literal apostrophe.
 *
 * Each row: description, type (strategic merge patch only), original document (NULL for
 * none), patch, then OK(expected document) or FAILS(substring of the expected error).
 * Every row also checks that the original and the patch are left as they were and that
 * the result shares no value with them.
 */
struct row {
	const char *desc;
	const char *type;
	const char *doc;
	const char *patch;
	const char *want;
	const char *err;
};

#define OK(want)  (want), NULL
#define FAILS(e)  NULL, (e)

/* --- a schema for strategic merge patch: the struct tags of a few Kubernetes types --- */

struct fake_field {
	const char *type;
	const char *field;
	struct smp_field f;
};

#define LIST(elem, key, strat)                                                           \
	{ .type = (elem), .merge_key = (key), .strategy = (strat), .is_list = true }
#define OBJ(t)                 { .type = (t) }

static const struct fake_field fake_schema[] = {
	{ "Pod", "metadata", OBJ("ObjectMeta") },
	{ "Pod", "spec", OBJ("PodSpec") },
	{ "Deployment", "metadata", OBJ("ObjectMeta") },
	{ "Deployment", "spec", OBJ("DeploymentSpec") },
	{ "DeploymentSpec", "template", OBJ("PodTemplateSpec") },
	{ "DeploymentSpec", "strategy",
	  { .type = "DeploymentStrategy", .strategy = SMP_RETAIN_KEYS } },
	{ "DeploymentStrategy", "rollingUpdate", OBJ("RollingUpdateDeployment") },
	{ "PodTemplateSpec", "metadata", OBJ("ObjectMeta") },
	{ "PodTemplateSpec", "spec", OBJ("PodSpec") },
	{ "ObjectMeta", "labels", OBJ(NULL) },
	{ "ObjectMeta", "finalizers", LIST(NULL, NULL, SMP_MERGE) },
	{ "ObjectMeta", "ownerReferences", LIST("OwnerReference", "uid", SMP_MERGE) },
	{ "PodSpec", "containers", LIST("Container", "name", SMP_MERGE) },
	{ "PodSpec", "tolerations", LIST("Toleration", NULL, SMP_REPLACE) },
	{ "PodSpec", "volumes", LIST("Volume", "name", SMP_MERGE | SMP_RETAIN_KEYS) },
	/* A schema mistake, to see it reported: objects merged with no key to merge them by. */
	{ "PodSpec", "keylessList", LIST("Thing", NULL, SMP_MERGE) },
	{ "Container", "ports", LIST("ContainerPort", "containerPort", SMP_MERGE) },
	{ "Container", "env", LIST("EnvVar", "name", SMP_MERGE) },
	{ "Container", "args", LIST(NULL, NULL, SMP_REPLACE) },
	{ NULL, NULL, { 0 } },
};

static bool fake_lookup(const char *type, const char *field, struct smp_field *out, void *ctx)
{
	const struct fake_field *t;

	for (t = ctx; t->type; t++) {
		if (!strcmp(t->type, type) && !strcmp(t->field, field)) {
			*out = t->f;
			return true;
		}
	}
	return false;
}

/* --- RFC 6902 JSON Patch --- */

static const struct row json_patch_rows[] = {
	/* RFC 6902 appendix A, in order (A.13, a duplicate member, is test_rfc6902_a13). */
	{ "A.1 adding an object member", NULL, "{'foo':'bar'}",
	  "[{'op':'add','path':'/baz','value':'qux'}]",
	  OK("{'baz':'qux','foo':'bar'}") },
	{ "A.2 adding an array element", NULL, "{'foo':['bar','baz']}",
	  "[{'op':'add','path':'/foo/1','value':'qux'}]",
	  OK("{'foo':['bar','qux','baz']}") },
	{ "A.3 removing an object member", NULL, "{'baz':'qux','foo':'bar'}",
	  "[{'op':'remove','path':'/baz'}]",
	  OK("{'foo':'bar'}") },
	{ "A.4 removing an array element", NULL, "{'foo':['bar','qux','baz']}",
	  "[{'op':'remove','path':'/foo/1'}]",
	  OK("{'foo':['bar','baz']}") },
	{ "A.5 replacing a value", NULL, "{'baz':'qux','foo':'bar'}",
	  "[{'op':'replace','path':'/baz','value':'boo'}]",
	  OK("{'baz':'boo','foo':'bar'}") },
	{ "A.6 moving a value", NULL,
	  "{'foo':{'bar':'baz','waldo':'fred'},'qux':{'corge':'grault'}}",
	  "[{'op':'move','from':'/foo/waldo','path':'/qux/thud'}]",
	  OK("{'foo':{'bar':'baz'},'qux':{'corge':'grault','thud':'fred'}}") },
	{ "A.7 moving an array element", NULL, "{'foo':['all','grass','cows','eat']}",
	  "[{'op':'move','from':'/foo/1','path':'/foo/3'}]",
	  OK("{'foo':['all','cows','eat','grass']}") },
	{ "A.8 testing a value: success", NULL, "{'baz':'qux','foo':['a',2,'c']}",
	  "[{'op':'test','path':'/baz','value':'qux'},{'op':'test','path':'/foo/1','value':2}]",
	  OK("{'baz':'qux','foo':['a',2,'c']}") },
	{ "A.9 testing a value: error", NULL, "{'baz':'qux'}",
	  "[{'op':'test','path':'/baz','value':'bar'}]",
	  FAILS("test operation failed at /baz") },
	{ "A.10 adding a nested member object", NULL, "{'foo':'bar'}",
	  "[{'op':'add','path':'/child','value':{'grandchild':{}}}]",
	  OK("{'foo':'bar','child':{'grandchild':{}}}") },
	{ "A.11 ignoring unrecognized elements", NULL, "{'foo':'bar'}",
	  "[{'op':'add','path':'/baz','value':'qux','xyz':123}]",
	  OK("{'foo':'bar','baz':'qux'}") },
	{ "A.12 adding to a nonexistent target", NULL, "{'foo':'bar'}",
	  "[{'op':'add','path':'/baz/bat','value':'qux'}]",
	  FAILS("path /baz/bat does not exist") },
	{ "A.14 ~ escape ordering", NULL, "{'/':9,'~1':10}",
	  "[{'op':'test','path':'/~01','value':10}]",
	  OK("{'/':9,'~1':10}") },
	{ "A.15 comparing strings and numbers", NULL, "{'/':9,'~1':10}",
	  "[{'op':'test','path':'/~01','value':'10'}]",
	  FAILS("test operation failed at /~01") },
	{ "A.16 adding an array value", NULL, "{'foo':['bar']}",
	  "[{'op':'add','path':'/foo/-','value':['abc','def']}]",
	  OK("{'foo':['bar',['abc','def']]}") },

	/* add */
	{ "add replaces an existing member", NULL, "{'a':1}",
	  "[{'op':'add','path':'/a','value':2}]", OK("{'a':2}") },
	{ "add at path '' replaces the whole document", NULL, "{'a':1}",
	  "[{'op':'add','path':'','value':['x']}]", OK("['x']") },
	{ "add at the index just past the end appends", NULL, "{'a':[1]}",
	  "[{'op':'add','path':'/a/1','value':2}]", OK("{'a':[1,2]}") },
	{ "add past the end of an array fails", NULL, "{'a':[1]}",
	  "[{'op':'add','path':'/a/2','value':2}]", FAILS("past the end of an array of 1") },
	{ "add stores a null value", NULL, "{'a':1}",
	  "[{'op':'add','path':'/b','value':null}]", OK("{'a':1,'b':null}") },
	{ "escaped tokens name members containing / and ~", NULL, "{}",
	  "[{'op':'add','path':'/a~1b','value':1},{'op':'add','path':'/c~0d','value':2}]",
	  OK("{'a/b':1,'c~d':2}") },
	{ "an empty token names the member ''", NULL, "{'':{'':1}}",
	  "[{'op':'test','path':'//','value':1},{'op':'replace','path':'/','value':2}]",
	  OK("{'':2}") },
	{ "array indexes with a leading zero are refused", NULL, "{'a':[1,2]}",
	  "[{'op':'add','path':'/a/01','value':0}]", FAILS("\"01\" is not an array index") },
	{ "a path through a scalar does not exist", NULL, "{'a':1}",
	  "[{'op':'add','path':'/a/b','value':2}]", FAILS("path /a/b does not exist") },

	/* remove, replace */
	{ "remove of a missing member fails", NULL, "{'a':{}}",
	  "[{'op':'remove','path':'/a/b'}]", FAILS("path /a/b does not exist") },
	{ "remove past the end of an array fails", NULL, "{'a':[1]}",
	  "[{'op':'remove','path':'/a/1'}]", FAILS("path /a/1 does not exist") },
	{ "'-' names no element to remove", NULL, "{'a':[1]}",
	  "[{'op':'remove','path':'/a/-'}]", FAILS("path /a/- does not exist") },
	{ "removing the whole document is refused", NULL, "{'a':1}",
	  "[{'op':'remove','path':''}]", FAILS("cannot remove the whole document") },
	{ "replace an array element", NULL, "{'a':[1,2,3]}",
	  "[{'op':'replace','path':'/a/1','value':{'b':null}}]", OK("{'a':[1,{'b':null},3]}") },
	{ "replace the whole document", NULL, "{'a':1}",
	  "[{'op':'replace','path':'','value':{'b':2}}]", OK("{'b':2}") },
	{ "replace of a missing member fails", NULL, "{'a':1}",
	  "[{'op':'replace','path':'/b','value':2}]", FAILS("path /b does not exist") },

	/* move, copy */
	{ "move into its own child is refused", NULL, "{'a':{'b':1}}",
	  "[{'op':'move','from':'/a','path':'/a/c'}]",
	  FAILS("cannot move /a into its own child /a/c") },
	{ "move onto itself changes nothing", NULL, "{'a':{'b':1}}",
	  "[{'op':'move','from':'/a/b','path':'/a/b'}]", OK("{'a':{'b':1}}") },
	{ "move from a missing path fails", NULL, "{'a':1}",
	  "[{'op':'move','from':'/b','path':'/c'}]", FAILS("path /b does not exist") },
	{ "copy an array element to the end", NULL, "{'a':[1,{'x':2}]}",
	  "[{'op':'copy','from':'/a/1','path':'/a/-'}]", OK("{'a':[1,{'x':2},{'x':2}]}") },
	{ "copy a member next to itself", NULL, "{'a':{'x':[1]}}",
	  "[{'op':'copy','from':'/a','path':'/b'},{'op':'add','path':'/b/x/-','value':2}]",
	  OK("{'a':{'x':[1]},'b':{'x':[1,2]}}") },
	{ "copy from a missing path fails", NULL, "{'a':1}",
	  "[{'op':'copy','from':'/b','path':'/c'}]", FAILS("path /b does not exist") },
	{ "move without from is refused", NULL, "{'a':1}",
	  "[{'op':'move','path':'/c'}]", FAILS("\"from\" is missing") },

	/* test */
	{ "test failure names the path", NULL, "{'spec':{'replicas':2}}",
	  "[{'op':'test','path':'/spec/replicas','value':3}]",
	  FAILS("test operation failed at /spec/replicas") },
	{ "test compares numbers by value: 1 equals 1.0", NULL, "{'n':1,'m':[2.0]}",
	  "[{'op':'test','path':'/n','value':1.0},{'op':'test','path':'/m','value':[2]}]",
	  OK("{'n':1,'m':[2.0]}") },
	{ "test compares objects whatever their member order", NULL,
	  "{'o':{'a':1,'b':[1,{'c':null}]}}",
	  "[{'op':'test','path':'/o','value':{'b':[1,{'c':null}],'a':1}}]",
	  OK("{'o':{'a':1,'b':[1,{'c':null}]}}") },
	{ "test tells arrays apart by order and length", NULL, "{'a':[1,2]}",
	  "[{'op':'test','path':'/a','value':[2,1]}]", FAILS("test operation failed at /a") },
	{ "test of the whole document", NULL, "{'a':1}",
	  "[{'op':'test','path':'','value':{'a':1}}]", OK("{'a':1}") },
	{ "test of a missing path fails", NULL, "{'a':1}",
	  "[{'op':'test','path':'/b','value':null}]", FAILS("path /b does not exist") },

	/* sequences */
	{ "operations see the results of earlier ones", NULL, "{'k':0}",
	  "[{'op':'add','path':'/x','value':{}},{'op':'add','path':'/x/y','value':1},"
	  " {'op':'move','from':'/x/y','path':'/z'},{'op':'remove','path':'/k'}]",
	  OK("{'x':{},'z':1}") },
	{ "a failing operation undoes the ones before it", NULL, "{'a':1}",
	  "[{'op':'add','path':'/x','value':1},{'op':'test','path':'/x','value':2}]",
	  FAILS("test operation failed at /x (operation 1, test)") },
	{ "an empty patch changes nothing", NULL, "{'a':1}", "[]", OK("{'a':1}") },

	/* malformed patches */
	{ "the patch must be an array", NULL, "{'a':1}",
	  "{'op':'add','path':'/a','value':1}", FAILS("array of operations, not an object") },
	{ "an operation must be an object", NULL, "{'a':1}",
	  "['add']", FAILS("operation is not a JSON object (operation 0") },
	{ "an operation without op is refused", NULL, "{'a':1}",
	  "[{'path':'/a'}]", FAILS("\"op\" is missing or not a string") },
	{ "an unknown op is refused", NULL, "{'a':1}",
	  "[{'op':'delete','path':'/a'}]", FAILS("unknown op \"delete\"") },
	{ "an operation without path is refused", NULL, "{'a':1}",
	  "[{'op':'remove'}]", FAILS("\"path\" is missing") },
	{ "a path must start with /", NULL, "{'a':1}",
	  "[{'op':'remove','path':'a'}]", FAILS("path a is not a JSON Pointer") },
	{ "~ must be followed by 0 or 1", NULL, "{'a':1}",
	  "[{'op':'remove','path':'/a~2'}]", FAILS("path /a~2 is not a JSON Pointer") },
	{ "add without value is refused", NULL, "{'a':1}",
	  "[{'op':'add','path':'/b'}]", FAILS("\"value\" is missing") },
	{ "test without value is refused", NULL, "{'a':1}",
	  "[{'op':'test','path':'/a'}]", FAILS("\"value\" is missing") },
};

/* --- RFC 7386 JSON merge patch --- */

static const struct row merge_patch_rows[] = {
	/* RFC 7386 section 3. */
	{ "section 3 example", NULL,
	  "{'title':'Goodbye!','author':{'givenName':'John','familyName':'Doe'},"
	  " 'tags':['example','sample'],'content':'This will be unchanged'}",
	  "{'title':'Hello!','phoneNumber':'+01-123-456-7890','author':{'familyName':null},"
	  " 'tags':['example']}",
	  OK("{'title':'Hello!','author':{'givenName':'John'},'tags':['example'],"
	     " 'content':'This will be unchanged','phoneNumber':'+01-123-456-7890'}") },
	/* RFC 7386 appendix A, in order. */
	{ "A: replace a member", NULL, "{'a':'b'}", "{'a':'c'}", OK("{'a':'c'}") },
	{ "A: add a member", NULL, "{'a':'b'}", "{'b':'c'}", OK("{'a':'b','b':'c'}") },
	{ "A: null removes a member", NULL, "{'a':'b'}", "{'a':null}", OK("{}") },
	{ "A: null removes only that member", NULL, "{'a':'b','b':'c'}", "{'a':null}",
	  OK("{'b':'c'}") },
	{ "A: a value replaces an array", NULL, "{'a':['b']}", "{'a':'c'}", OK("{'a':'c'}") },
	{ "A: an array replaces a value", NULL, "{'a':'c'}", "{'a':['b']}", OK("{'a':['b']}") },
	{ "A: objects merge recursively", NULL, "{'a':{'b':'c'}}", "{'a':{'b':'d','c':null}}",
	  OK("{'a':{'b':'d'}}") },
	{ "A: arrays are replaced, not merged", NULL, "{'a':[{'b':'c'}]}", "{'a':[1]}",
	  OK("{'a':[1]}") },
	{ "A: an array patch replaces an array", NULL, "['a','b']", "['c','d']", OK("['c','d']") },
	{ "A: an array patch replaces an object", NULL, "{'a':'b'}", "['c']", OK("['c']") },
	{ "A: a null patch gives null", NULL, "{'a':'foo'}", "null", OK("null") },
	{ "A: a string patch gives the string", NULL, "{'a':'foo'}", "'bar'", OK("'bar'") },
	{ "A: nulls already in the target stay", NULL, "{'e':null}", "{'a':1}",
	  OK("{'e':null,'a':1}") },
	{ "A: an object patch on an array starts from {}", NULL, "[1,2]", "{'a':'b','c':null}",
	  OK("{'a':'b'}") },
	{ "A: nulls deep in new members are dropped", NULL, "{}", "{'a':{'bb':{'ccc':null}}}",
	  OK("{'a':{'bb':{}}}") },
	/* Beyond the RFC's table. */
	{ "no document: the patch applies to nothing", NULL, NULL, "{'a':{'b':null,'c':1}}",
	  OK("{'a':{'c':1}}") },
	{ "an object replaces a scalar and merges into nothing", NULL, "{'a':1}",
	  "{'a':{'b':{'c':null},'d':[null]}}", OK("{'a':{'b':{},'d':[null]}}") },
	{ "keys that look like strategic directives are plain keys here", NULL, "{'a':1}",
	  "{'$patch':'delete','$retainKeys':['x']}",
	  OK("{'a':1,'$patch':'delete','$retainKeys':['x']}") },
};

/* --- Kubernetes strategic merge patch --- */

static const struct row smp_rows[] = {
	/* Maps and nulls. */
	{ "maps merge recursively; scalars are replaced", "Pod",
	  "{'metadata':{'name':'web','labels':{'app':'web','tier':'fe'}},"
	  " 'spec':{'nodeName':'n1','restartPolicy':'Always'}}",
	  "{'metadata':{'labels':{'tier':'be','track':'canary'}},'spec':{'nodeName':'n2'}}",
	  OK("{'metadata':{'name':'web','labels':{'app':'web','tier':'be','track':'canary'}},"
	     " 'spec':{'nodeName':'n2','restartPolicy':'Always'}}") },
	{ "null deletes a field; a null for an absent field is not stored", "Pod",
	  "{'metadata':{'name':'web','labels':{'app':'web','tier':'fe'}}}",
	  "{'metadata':{'labels':{'tier':null,'nope':null}},'status':null}",
	  OK("{'metadata':{'name':'web','labels':{'app':'web'}}}") },
	{ "a new object drops its nulls", "Pod",
	  "{'metadata':{'name':'web'}}",
	  "{'metadata':{'annotations':{'a':'1','b':null}}}",
	  OK("{'metadata':{'name':'web','annotations':{'a':'1'}}}") },
	{ "null deletes a whole list", "Pod",
	  "{'spec':{'containers':[{'name':'web'}],'nodeName':'n1'}}",
	  "{'spec':{'containers':null}}",
	  OK("{'spec':{'nodeName':'n1'}}") },
	{ "a value of another JSON type replaces the original, merged into nothing", "Pod",
	  "{'metadata':{'labels':'oops'}}",
	  "{'metadata':{'labels':{'a':'1','b':null}}}",
	  OK("{'metadata':{'labels':{'a':'1'}}}") },
	{ "a merging list replaced by an object takes the object (apimachinery)", "Pod",
	  "{'spec':{'containers':[{'name':'a'},{'name':'a'}]}}",
	  "{'spec':{'containers':{}}}",
	  OK("{'spec':{'containers':{}}}") },
	{ "no document: the patch applies to {}", "Pod", NULL,
	  "{'metadata':{'name':'web','finalizers':['a','a']},"
	  " 'spec':{'containers':[{'name':'c','$patch':'delete'}]}}",
	  OK("{'metadata':{'name':'web','finalizers':['a']},'spec':{'containers':[]}}") },

	/* Lists merged by key. */
	{ "kubectl patch task: new container merged in ahead of the old; tolerations replaced",
	  "Deployment",
	  "{'spec':{'replicas':2,'template':{'spec':{"
	  " 'containers':[{'name':'patch-demo-ctr','image':'nginx'}],"
	  " 'tolerations':[{'effect':'NoSchedule','key':'dedicated','value':'test-team'}]}}}}",
	  "{'spec':{'template':{'spec':{'containers':[{'name':'patch-demo-ctr-2','image':'redis'}],"
	  " 'tolerations':[{'effect':'NoSchedule','key':'disktype','value':'ssd'}]}}}}",
	  OK("{'spec':{'replicas':2,'template':{'spec':{"
	     " 'containers':[{'name':'patch-demo-ctr-2','image':'redis'},"
	     "               {'name':'patch-demo-ctr','image':'nginx'}],"
	     " 'tolerations':[{'effect':'NoSchedule','key':'disktype','value':'ssd'}]}}}}") },
	{ "a container merges field by field; the other containers stay", "Pod",
	  "{'spec':{'containers':[{'name':'web','image':'nginx:1.1',"
	  "                        'ports':[{'containerPort':80}]},"
	  "                       {'name':'log','image':'busybox'}]}}",
	  "{'spec':{'containers':[{'name':'web','image':'nginx:1.2'}]}}",
	  OK("{'spec':{'containers':[{'name':'web','image':'nginx:1.2',"
	     "                        'ports':[{'containerPort':80}]},"
	     "                       {'name':'log','image':'busybox'}]}}") },
	{ "nested merging lists: ports by containerPort, env by name; args replaced", "Pod",
	  "{'spec':{'containers':[{'name':'web','args':['-a','-b'],"
	  " 'ports':[{'containerPort':80,'protocol':'TCP'},{'containerPort':443}],"
	  " 'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}]}]}}",
	  "{'spec':{'containers':[{'name':'web','args':['-c'],"
	  " 'ports':[{'containerPort':443,'name':'https'}],"
	  " 'env':[{'name':'B','value':'3'},{'name':'C','value':'4'}]}]}}",
	  OK("{'spec':{'containers':[{'name':'web','args':['-c'],"
	     " 'ports':[{'containerPort':80,'protocol':'TCP'},"
	     "          {'containerPort':443,'name':'https'}],"
	     " 'env':[{'name':'A','value':'1'},{'name':'B','value':'3'},"
	     "        {'name':'C','value':'4'}]}]}}") },
	{ "merge keys match by number value: 8080 and 8080.0 are one port", "Pod",
	  "{'spec':{'containers':[{'name':'web','ports':[{'containerPort':8080}]}]}}",
	  "{'spec':{'containers':[{'name':'web',"
	  "                        'ports':[{'containerPort':8080.0,'protocol':'TCP'}]}]}}",
	  OK("{'spec':{'containers':[{'name':'web',"
	     "                        'ports':[{'containerPort':8080.0,'protocol':'TCP'}]}]}}") },
	{ "ownerReferences merge by uid", "Pod",
	  "{'metadata':{'ownerReferences':[{'uid':'u1','kind':'ReplicaSet','name':'rs1'}]}}",
	  "{'metadata':{'ownerReferences':[{'uid':'u1','controller':true},"
	  "                                {'uid':'u2','kind':'Node','name':'n'}]}}",
	  OK("{'metadata':{'ownerReferences':["
	     "   {'uid':'u1','kind':'ReplicaSet','name':'rs1','controller':true},"
	     "   {'uid':'u2','kind':'Node','name':'n'}]}}") },
	{ "two patch elements with one key merge into one element", "Pod",
	  "{'spec':{'containers':[{'name':'a','image':'1'}]}}",
	  "{'spec':{'containers':[{'name':'a','image':'2'},{'name':'a','tty':true}]}}",
	  OK("{'spec':{'containers':[{'name':'a','image':'2','tty':true}]}}") },
	{ "a new list is built by the same rules, its directives dropped", "Pod",
	  "{'spec':{}}",
	  "{'spec':{'containers':[{'name':'a','$patch':'delete'},"
	  " {'name':'b','image':'x','env':[{'name':'E','value':null}]},{'name':'b','tty':true}]}}",
	  OK("{'spec':{'containers':[{'name':'b','image':'x','env':[{'name':'E'}],"
	     "                        'tty':true}]}}") },

	/* Order of merged lists (apimachinery's normalizeElementOrder). */
	{ "the patch's order wins over the original's (apimachinery vector)", "Pod",
	  "{'spec':{'containers':[{'name':'1'},{'name':'2','image':'b'},{'name':'3'}]}}",
	  "{'spec':{'containers':[{'name':'3','image':'c'},{'name':'1','image':'a'},"
	  "                       {'name':'2','tty':true}]}}",
	  OK("{'spec':{'containers':[{'name':'3','image':'c'},{'name':'1','image':'a'},"
	     "                       {'name':'2','image':'b','tty':true}]}}") },
	{ "items the patch leaves out keep their original place (apimachinery vector)", "Pod",
	  "{'spec':{'containers':[{'name':'1'},{'name':'2','image':'b'},{'name':'3'}]}}",
	  "{'spec':{'containers':[{'name':'3','image':'c'},{'name':'1','image':'a'}]}}",
	  OK("{'spec':{'containers':[{'name':'2','image':'b'},{'name':'3','image':'c'},"
	     "                       {'name':'1','image':'a'}]}}") },
	{ "delete, add and change in one list: new items go before later old ones", "Pod",
	  "{'spec':{'containers':[{'name':'a','image':'1'},{'name':'b'},{'name':'c'}]}}",
	  "{'spec':{'containers':[{'name':'d','image':'4'},{'name':'b','$patch':'delete'},"
	  "                       {'name':'a','image':'2'}]}}",
	  OK("{'spec':{'containers':[{'name':'d','image':'4'},{'name':'a','image':'2'},"
	     "                       {'name':'c'}]}}") },

	/* $patch in lists. */
	{ "$patch: delete removes the element with that merge key", "Pod",
	  "{'spec':{'containers':[{'name':'web'},{'name':'log'}]}}",
	  "{'spec':{'containers':[{'name':'log','$patch':'delete'}]}}",
	  OK("{'spec':{'containers':[{'name':'web'}]}}") },
	{ "$patch: delete removes every element with that key", "Pod",
	  "{'spec':{'containers':[{'name':'web',"
	  "                        'env':[{'name':'A','value':'1'},{'name':'A','value':'2'},"
	  "                               {'name':'B'}]}]}}",
	  "{'spec':{'containers':[{'name':'web','env':[{'$patch':'delete','name':'A'}]}]}}",
	  OK("{'spec':{'containers':[{'name':'web','env':[{'name':'B'}]}]}}") },
	{ "$patch: delete of an element that is not there changes nothing", "Pod",
	  "{'spec':{'containers':[{'name':'web'}]}}",
	  "{'spec':{'containers':[{'name':'gone','$patch':'delete'}]}}",
	  OK("{'spec':{'containers':[{'name':'web'}]}}") },
	{ "$patch: replace as a list element: the patch list replaces the original", "Pod",
	  "{'spec':{'containers':[{'name':'web','image':'a'},{'name':'log'}]}}",
	  "{'spec':{'containers':[{'name':'web','image':'x'},{'$patch':'replace'}]}}",
	  OK("{'spec':{'containers':[{'name':'web','image':'x'}]}}") },
	{ "a lone {$patch: replace} empties a merging list (apimachinery)", "Pod",
	  "{'spec':{'containers':[{'name':'web'},{'name':'log'}]}}",
	  "{'spec':{'containers':[{'$patch':'replace'}]}}",
	  OK("{'spec':{'containers':[]}}") },

	/* $patch in maps. */
	{ "$patch: replace in an object replaces it", "Pod",
	  "{'metadata':{'name':'web','labels':{'app':'web','tier':'fe'}}}",
	  "{'metadata':{'labels':{'$patch':'replace','team':'x'}}}",
	  OK("{'metadata':{'name':'web','labels':{'team':'x'}}}") },
	{ "$patch: replace at the top level (apimachinery vector)", NULL,
	  "{'name':1,'value':1}", "{'other':'a','$patch':'replace'}", OK("{'other':'a'}") },
	{ "$patch: replace keeps the replacement free of directives", "Pod",
	  "{'spec':{'containers':[{'name':'a'}]}}",
	  "{'spec':{'$patch':'replace',"
	  "         'containers':[{'name':'b','$patch':'delete'},{'name':'c'}]}}",
	  OK("{'spec':{'containers':[{'name':'c'}]}}") },
	{ "$patch: delete in an object leaves it empty, as apimachinery does", "Deployment",
	  "{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}}}}",
	  "{'spec':{'strategy':{'rollingUpdate':{'$patch':'delete'}}}}",
	  OK("{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{}}}}") },
	{ "$patch: delete at the top level leaves {}", NULL,
	  "{'a':1,'b':{'c':2}}", "{'$patch':'delete'}", OK("{}") },

	/* Lists of values (metadata.finalizers). */
	{ "finalizers: the union, in the original's order", "Pod",
	  "{'metadata':{'finalizers':['a','b']}}", "{'metadata':{'finalizers':['b','c']}}",
	  OK("{'metadata':{'finalizers':['a','b','c']}}") },
	{ "finalizers: a new value goes ahead of the old ones", "Pod",
	  "{'metadata':{'finalizers':['a','b']}}", "{'metadata':{'finalizers':['c']}}",
	  OK("{'metadata':{'finalizers':['c','a','b']}}") },
	{ "finalizers: the patch's order wins (apimachinery int-list vector)", "Pod",
	  "{'metadata':{'finalizers':['1','2','3']}}", "{'metadata':{'finalizers':['3','1']}}",
	  OK("{'metadata':{'finalizers':['2','3','1']}}") },
	{ "finalizers: duplicates merge away", "Pod",
	  "{'metadata':{'finalizers':['a','a','b']}}", "{'metadata':{'finalizers':['c','c']}}",
	  OK("{'metadata':{'finalizers':['c','a','b']}}") },
	{ "$deleteFromPrimitiveList removes values (design doc)", "Pod",
	  "{'metadata':{'finalizers':['a','b','c']}}",
	  "{'metadata':{'$deleteFromPrimitiveList/finalizers':['b','c']}}",
	  OK("{'metadata':{'finalizers':['a']}}") },
	{ "$deleteFromPrimitiveList removes every copy; absent values are ignored", "Pod",
	  "{'metadata':{'finalizers':['a','b','c','c']}}",
	  "{'metadata':{'$deleteFromPrimitiveList/finalizers':['c','zz']}}",
	  OK("{'metadata':{'finalizers':['a','b']}}") },
	{ "$deleteFromPrimitiveList on an absent list does nothing", "Pod",
	  "{'metadata':{'name':'x'}}",
	  "{'metadata':{'$deleteFromPrimitiveList/finalizers':['a']}}",
	  OK("{'metadata':{'name':'x'}}") },
	{ "$deleteFromPrimitiveList with $setElementOrder (apimachinery vector)", "Pod",
	  "{'metadata':{'finalizers':['1','2','3','4']}}",
	  "{'metadata':{'$setElementOrder/finalizers':['1','2'],"
	  "             '$deleteFromPrimitiveList/finalizers':['3']}}",
	  OK("{'metadata':{'finalizers':['1','2','4']}}") },
	{ "add and delete values with $setElementOrder (apimachinery vector)", "Pod",
	  "{'metadata':{'finalizers':['1','2','3']}}",
	  "{'metadata':{'$setElementOrder/finalizers':['1','2','4'],"
	  " '$deleteFromPrimitiveList/finalizers':['3'],'finalizers':['4']}}",
	  OK("{'metadata':{'finalizers':['1','2','4']}}") },
	/*
	 * The preserve-order design proposal's finalizer example. The proposal's text puts
	 * server-only values first (e,d,a,b,f); apimachinery's interleave, which its own tests
	 * pin down (vector above: 4 stays after 1,2), places d by the live order instead.
	 */
	{ "server-only values interleave by the live order", "Pod",
	  "{'metadata':{'finalizers':['b','e','a','c','d']}}",
	  "{'metadata':{'$setElementOrder/finalizers':['a','b','f'],"
	  " '$deleteFromPrimitiveList/finalizers':['c'],'finalizers':['f']}}",
	  OK("{'metadata':{'finalizers':['e','a','b','f','d']}}") },

	/* $setElementOrder. */
	{ "$setElementOrder alone reorders values (design doc)", "Pod",
	  "{'metadata':{'finalizers':['a','b','c']}}",
	  "{'metadata':{'$setElementOrder/finalizers':['b','c','a']}}",
	  OK("{'metadata':{'finalizers':['b','c','a']}}") },
	{ "$setElementOrder alone reorders containers (design doc)", "Pod",
	  "{'spec':{'containers':[{'name':'a','image':'1'},{'name':'b'},{'name':'c'}]}}",
	  "{'spec':{'$setElementOrder/containers':[{'name':'b'},{'name':'c'},{'name':'a'}]}}",
	  OK("{'spec':{'containers':[{'name':'b'},{'name':'c'},{'name':'a','image':'1'}]}}") },
	{ "kubectl apply: annotation plus a changed container with its order", "Deployment",
	  "{'metadata':{'name':'web',"
	  "   'annotations':{'kubectl.kubernetes.io/last-applied-configuration':'old'}},"
	  " 'spec':{'template':{'spec':{'containers':["
	  "     {'name':'web','image':'nginx:1.1','imagePullPolicy':'Always'}]}}}}",
	  "{'metadata':{'annotations':{'kubectl.kubernetes.io/last-applied-configuration':'new'}},"
	  " 'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'web'}],"
	  " 'containers':[{'image':'nginx:1.2','name':'web'}]}}}}",
	  OK("{'metadata':{'name':'web',"
	     "   'annotations':{'kubectl.kubernetes.io/last-applied-configuration':'new'}},"
	     " 'spec':{'template':{'spec':{'containers':["
	     "     {'name':'web','image':'nginx:1.2','imagePullPolicy':'Always'}]}}}}") },
	{ "$setElementOrder places new and old containers (apimachinery vector)", "Pod",
	  "{'spec':{'containers':[{'name':'1','image':'a'},{'name':'2','image':'b'}]}}",
	  "{'spec':{'$setElementOrder/containers':[{'name':'4'},{'name':'1'},{'name':'2'},"
	  "                                        {'name':'3'}],"
	  " 'containers':[{'name':'4','image':'d'},{'name':'3','image':'c'}]}}",
	  OK("{'spec':{'containers':[{'name':'4','image':'d'},{'name':'1','image':'a'},"
	     "                       {'name':'2','image':'b'},{'name':'3','image':'c'}]}}") },
	{ "$setElementOrder naming items the list lacks ignores them (apimachinery vector)", "Pod",
	  "{'spec':{'containers':[{'name':'1'},{'name':'3'}]}}",
	  "{'spec':{'$setElementOrder/containers':[{'name':'3'},{'name':'2'},{'name':'1'}],"
	  " 'containers':[{'name':'3','image':'3'},{'name':'1','image':'1'}]}}",
	  OK("{'spec':{'containers':[{'name':'3','image':'3'},{'name':'1','image':'1'}]}}") },
	{ "items $setElementOrder leaves out interleave by the live order", "Pod",
	  "{'spec':{'containers':[{'name':'c'},{'name':'b'},{'name':'d'},{'name':'a'},"
	  "                       {'name':'e'}]}}",
	  "{'spec':{'$setElementOrder/containers':[{'name':'a'},{'name':'b'}],"
	  " 'containers':[{'name':'a','image':'x'},{'name':'b','image':'y'}]}}",
	  OK("{'spec':{'containers':[{'name':'c'},{'name':'d'},{'name':'a','image':'x'},"
	     "                       {'name':'b','image':'y'},{'name':'e'}]}}") },
	{ "$setElementOrder nested in a merged container (apimachinery vector)", "Pod",
	  "{'spec':{'containers':[{'name':'1','env':[{'name':'1'},{'name':'2','value':'2'}]},"
	  "                       {'name':'2'}]}}",
	  "{'spec':{'$setElementOrder/containers':[{'name':'1'},{'name':'2'}],"
	  " 'containers':[{'$setElementOrder/env':[{'name':'1'},{'name':'2'}],'name':'1',"
	  "                'env':[{'name':'1','value':'1'}]}]}}",
	  OK("{'spec':{'containers':[{'name':'1','env':[{'name':'1','value':'1'},"
	     "                                           {'name':'2','value':'2'}]},"
	     "                       {'name':'2'}]}}") },
	{ "$setElementOrder on a list that is not merged means nothing", "Pod",
	  "{'spec':{'tolerations':[{'key':'a'},{'key':'b'}]}}",
	  "{'spec':{'$setElementOrder/tolerations':[{'key':'a'}],"
	  "         'tolerations':[{'key':'b'},{'key':'a'}]}}",
	  OK("{'spec':{'tolerations':[{'key':'b'},{'key':'a'}]}}") },
	{ "$setElementOrder for a list deleted by null", "Pod",
	  "{'metadata':{'finalizers':['a']}}",
	  "{'metadata':{'$setElementOrder/finalizers':['a'],'finalizers':null}}",
	  OK("{'metadata':{}}") },

	/* $retainKeys. */
	{ "$retainKeys clears the fields it does not name (Deployment strategy)", "Deployment",
	  "{'spec':{'replicas':1,'strategy':{'type':'RollingUpdate',"
	  "                                  'rollingUpdate':{'maxSurge':1,'maxUnavailable':0}}}}",
	  "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'}}}",
	  OK("{'spec':{'replicas':1,'strategy':{'type':'Recreate'}}}") },
	{ "$retainKeys keeps the named fields the patch leaves alone", "Deployment",
	  "{'spec':{'strategy':{'type':'RollingUpdate',"
	  "                     'rollingUpdate':{'maxSurge':1,'maxUnavailable':0}}}}",
	  "{'spec':{'strategy':{'$retainKeys':['rollingUpdate','type'],"
	  "                     'rollingUpdate':{'maxSurge':2}}}}",
	  OK("{'spec':{'strategy':{'type':'RollingUpdate',"
	     "                     'rollingUpdate':{'maxSurge':2,'maxUnavailable':0}}}}") },
	{ "$retainKeys in merged list elements (volumes: merge,retainKeys)", "Pod",
	  "{'spec':{'volumes':[{'name':'data','configMap':{'name':'cm'}},"
	  "                    {'name':'tmp','emptyDir':{}}]}}",
	  "{'spec':{'volumes':[{'$retainKeys':['name','secret'],'name':'data',"
	  "                     'secret':{'secretName':'s'}}]}}",
	  OK("{'spec':{'volumes':[{'name':'data','secret':{'secretName':'s'}},"
	     "                    {'name':'tmp','emptyDir':{}}]}}") },
	{ "$retainKeys allows nulls for fields it does not name", "Deployment",
	  "{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}}}}",
	  "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate','rollingUpdate':null}}}",
	  OK("{'spec':{'strategy':{'type':'Recreate'}}}") },

	/* Fields the schema does not know. */
	{ "unknown fields: objects merge, lists are replaced", "Pod",
	  "{'spec':{'extra':{'a':1,'b':[1,2]},'items':[{'name':'a'}]}}",
	  "{'spec':{'extra':{'b':[3],'c':null},'items':[{'name':'b'}]}}",
	  OK("{'spec':{'extra':{'a':1,'b':[3]},'items':[{'name':'b'}]}}") },
	{ "without a type everything is opaque, directives still obeyed", NULL,
	  "{'spec':{'containers':[{'name':'a'}],'m':{'x':1}}}",
	  "{'spec':{'containers':[{'name':'b'}],'m':{'$patch':'replace','y':2}}}",
	  OK("{'spec':{'containers':[{'name':'b'}],'m':{'y':2}}}") },

	/* Errors. */
	{ "the patch must be an object", "Pod", "{}", "['a']",
	  FAILS("a strategic merge patch is a JSON object, not an array") },
	{ "a null patch is refused", "Pod", "{}", "null", FAILS("is a JSON object") },
	{ "the document must be an object", "Pod", "[1]", "{}",
	  FAILS("the document to patch is an array, not a JSON object") },
	{ "a list element without its merge key is refused", "Pod",
	  "{'spec':{'containers':[{'name':'web'}]}}",
	  "{'spec':{'containers':[{'image':'x'}]}}",
	  FAILS("element 0 of the list at /spec/containers does not contain its merge key "
		"\"name\"") },
	{ "errors say where: a nested element without its merge key", "Deployment",
	  "{'spec':{'template':{'spec':{'containers':[{'name':'web'}]}}}}",
	  "{'spec':{'template':{'spec':{'containers':[{'name':'web','env':[{'value':'x'}]}]}}}}",
	  FAILS("at /spec/template/spec/containers/0/env does not contain its merge key") },
	{ "$patch: delete without the merge key is refused", "Pod",
	  "{'spec':{'containers':[{'name':'web'}]}}",
	  "{'spec':{'containers':[{'$patch':'delete'}]}}",
	  FAILS("needs the merge key \"name\"") },
	{ "$patch other than replace or delete in an object is refused", "Pod",
	  "{'metadata':{}}", "{'metadata':{'$patch':'merge'}}",
	  FAILS("\"$patch\" at /metadata is \"merge\"; an object takes") },
	{ "$patch that is not a string is refused", "Pod",
	  "{}", "{'$patch':1}", FAILS("\"$patch\" at the top level is not a string") },
	{ "$patch other than replace or delete in a list element is refused", "Pod",
	  "{'spec':{'containers':[]}}", "{'spec':{'containers':[{'name':'a','$patch':'merge'}]}}",
	  FAILS("a list element takes \"replace\" or \"delete\"") },
	{ "$retainKeys must name every field the patch sets", "Deployment",
	  "{'spec':{'strategy':{'type':'RollingUpdate'}}}",
	  "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate',"
	  "                     'rollingUpdate':{'maxSurge':1}}}}",
	  FAILS("$retainKeys at /spec/strategy does not list \"rollingUpdate\"") },
	{ "$retainKeys must be a list", "Deployment",
	  "{'spec':{'strategy':{}}}", "{'spec':{'strategy':{'$retainKeys':'type'}}}",
	  FAILS("is not a list of field names") },
	{ "$retainKeys must hold field names", "Deployment",
	  "{'spec':{'strategy':{}}}", "{'spec':{'strategy':{'$retainKeys':['type',1]}}}",
	  FAILS("element 1 is not a field name") },
	{ "$setElementOrder out of step with the patch list is refused (apimachinery)", "Pod",
	  "{'spec':{'containers':[{'name':'1'},{'name':'3'},{'name':'2'}]}}",
	  "{'spec':{'$setElementOrder/containers':[{'name':'1'},{'name':'2'},{'name':'3'}],"
	  " 'containers':[{'name':'3','image':'3'},{'name':'1','image':'1'}]}}",
	  FAILS("doesn't match its $setElementOrder/containers") },
	{ "$setElementOrder of values out of step with the patch list is refused", "Pod",
	  "{'metadata':{'finalizers':['1','3','2']}}",
	  "{'metadata':{'$setElementOrder/finalizers':['1','2','3'],'finalizers':['3','1']}}",
	  FAILS("doesn't match") },
	{ "$setElementOrder without merge keys is refused", "Pod",
	  "{'spec':{'containers':[{'name':'a'}]}}",
	  "{'spec':{'$setElementOrder/containers':[{'image':'a'}]}}",
	  FAILS("element 0 of $setElementOrder/containers at /spec/containers does not "
		"contain the merge key") },
	{ "$setElementOrder must be a list", "Pod",
	  "{'spec':{}}", "{'spec':{'$setElementOrder/containers':{'name':'a'}}}",
	  FAILS("$setElementOrder/containers at /spec is not a list") },
	{ "$deleteFromPrimitiveList must be a list", "Pod",
	  "{'metadata':{}}", "{'metadata':{'$deleteFromPrimitiveList/finalizers':'a'}}",
	  FAILS("is not a list") },
	{ "$deleteFromPrimitiveList on a list that is not merged is refused", "Pod",
	  "{'spec':{'tolerations':[1]}}", "{'spec':{'$deleteFromPrimitiveList/tolerations':[1]}}",
	  FAILS("tolerations is not a merging list") },
	{ "a merging list mixing objects and values is refused", "Pod",
	  "{'metadata':{'finalizers':['a']}}", "{'metadata':{'finalizers':[{'x':1}]}}",
	  FAILS("mixes objects and other values") },
	{ "a merging list of objects without a merge key is refused", "Pod",
	  "{'spec':{'keylessList':[{'a':1}]}}", "{'spec':{'keylessList':[{'a':2}]}}",
	  FAILS("holds objects but its field has no merge key") },
};

/* --- running the tables --- */

enum patch_kind { JSON_PATCH, MERGE_PATCH, STRATEGIC };

static char *dequote(const char *src)
{
	char *text = strdup(src), *p;

	assert_non_null(text);
	for (p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	return text;
}

static json_t *js(const char *src)
{
	char *text = dequote(src);
	json_error_t jerr;
	json_t *v;

	v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!v)
		fail_msg("test JSON %d:%d: %s: %s", jerr.line, jerr.column, jerr.text, src);
	return v;
}

static void print_json(const char *what, const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;

	print_error("    %s: %s\n", what, s ? s : "(none)");
	free(s);
}

/* Whether node is (by identity) a value inside tree. true, false and null are shared singletons. */
static bool holds_node(const json_t *tree, const json_t *node)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!tree)
		return false;
	if (tree == node)
		return true;
	if (json_is_object(tree)) {
		json_object_foreach((json_t *)tree, key, v)
			if (holds_node(v, node))
				return true;
	} else if (json_is_array(tree)) {
		json_array_foreach(tree, i, v)
			if (holds_node(v, node))
				return true;
	}
	return false;
}

/* Whether any mutable value of got is also in a or b: the caller could change them through it. */
static bool shares(const json_t *got, const json_t *a, const json_t *b)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_true(got) && !json_is_false(got) && !json_is_null(got) &&
	    (holds_node(a, got) || holds_node(b, got)))
		return true;
	if (json_is_object(got)) {
		json_object_foreach((json_t *)got, key, v)
			if (shares(v, a, b))
				return true;
	} else if (json_is_array(got)) {
		json_array_foreach(got, i, v)
			if (shares(v, a, b))
				return true;
	}
	return false;
}

static json_t *apply(enum patch_kind kind, const struct row *r, const json_t *doc,
		     const json_t *patch, char *err, size_t err_len)
{
	switch (kind) {
	case JSON_PATCH:
		return json_patch_apply(doc, patch, err, err_len);
	case MERGE_PATCH:
		return merge_patch_apply(doc, patch);
	case STRATEGIC:
		return strategic_merge_patch_apply(doc, patch, r->type, fake_lookup,
						   (void *)fake_schema, err, err_len);
	}
	return NULL;
}

/* One row; prints what went wrong and returns false if anything did. */
static bool check_row(enum patch_kind kind, const struct row *r)
{
	json_t *doc = r->doc ? js(r->doc) : NULL, *patch = js(r->patch);
	json_t *want = r->want ? js(r->want) : NULL;
	json_t *doc0 = doc ? json_deep_copy(doc) : NULL, *patch0 = json_deep_copy(patch);
	char err[512] = "";
	json_t *got;
	bool ok = true;

	got = apply(kind, r, doc, patch, err, sizeof(err));
	if (want && !got) {
		print_error("  %s: failed: %s\n", r->desc, err);
		ok = false;
	} else if (want && !json_equal(got, want)) {
		print_error("  %s: wrong result\n", r->desc);
		print_json("got ", got);
		print_json("want", want);
		ok = false;
	} else if (!want && got) {
		print_error("  %s: succeeded, want an error with \"%s\"\n", r->desc, r->err);
		print_json("got", got);
		ok = false;
	} else if (!want && !strstr(err, r->err)) {
		print_error("  %s: error \"%s\", want one with \"%s\"\n", r->desc, err, r->err);
		ok = false;
	}
	if ((doc && !json_equal(doc, doc0)) || !json_equal(patch, patch0)) {
		print_error("  %s: the document or the patch was modified\n", r->desc);
		ok = false;
	}
	if (got && shares(got, doc, patch)) {
		print_error("  %s: the result shares a value with the document or the patch\n",
			    r->desc);
		ok = false;
	}
	json_decref(got);
	json_decref(doc);
	json_decref(doc0);
	json_decref(patch);
	json_decref(patch0);
	json_decref(want);
	return ok;
}

/* Every row runs, so that one run shows every failing row; then the test fails once. */
static void run_table(enum patch_kind kind, const struct row *rows, size_t n)
{
	size_t i, failed = 0;

	for (i = 0; i < n; i++)
		failed += !check_row(kind, &rows[i]);
	if (failed)
		fail_msg("%zu of %zu rows failed", failed, n);
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_json_patch_table(void **state)
{
	(void)state;
	run_table(JSON_PATCH, json_patch_rows, ARRAY_SIZE(json_patch_rows));
}

static void test_merge_patch_table(void **state)
{
	(void)state;
	run_table(MERGE_PATCH, merge_patch_rows, ARRAY_SIZE(merge_patch_rows));
}

static void test_strategic_merge_patch_table(void **state)
{
	(void)state;
	run_table(STRATEGIC, smp_rows, ARRAY_SIZE(smp_rows));
}

/*
 * RFC 6902 A.13: an operation with two "op" members. A parser that refuses duplicate
 * members (as the apiserver's should) rejects it; one that keeps the last member turns
 * it into a remove of a missing path, which fails too.
 */
static void test_rfc6902_a13(void **state)
{
	char *text = dequote("[{'op':'add','path':'/baz','value':'qux','op':'remove'}]");
	json_t *doc = js("{'foo':'bar'}"), *ops;
	json_error_t jerr;
	char err[256];

	(void)state;
	assert_null(json_loads(text, JSON_REJECT_DUPLICATES, &jerr));
	ops = json_loads(text, 0, &jerr);
	assert_non_null(ops);
	assert_null(json_patch_apply(doc, ops, err, sizeof(err)));
	assert_non_null(strstr(err, "path /baz does not exist"));
	json_decref(ops);
	json_decref(doc);
	free(text);
}

/* The int-returning forms tell kinds of failure apart, for the apiserver's status codes. */
static void test_error_codes(void **state)
{
	static const struct {
		const char *doc, *ops;
		int ret;
	} cases[] = {
		{ "{'a':1}", "[{'op':'test','path':'/a','value':2}]", -ECANCELED },
		{ "{'a':1}", "[{'op':'remove','path':'/b'}]", -ENOENT },
		{ "{'a':[]}", "[{'op':'add','path':'/a/1','value':2}]", -ENOENT },
		{ "{'a':1}", "[{'op':'frobnicate','path':'/a'}]", -EINVAL },
		{ "{'a':1}", "[{'op':'remove','path':'a'}]", -EINVAL },
		{ "{'a':1}", "{}", -EINVAL },
		{ "{'a':1}", "[{'op':'test','path':'/a','value':1}]", 0 },
	};
	json_t *doc, *ops, *out = NULL;
	char err[256];
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		doc = js(cases[i].doc);
		ops = js(cases[i].ops);
		ret = json_patch(doc, ops, &out, err, sizeof(err));
		if (ret != cases[i].ret)
			fail_msg("%s on %s: %d (%s), want %d", cases[i].ops, cases[i].doc, ret, err,
				 cases[i].ret);
		assert_true(ret ? !out : !!out);
		json_decref(out);
		json_decref(ops);
		json_decref(doc);
	}

	doc = js("{}");
	ops = js("{'$patch':'bogus'}");
	assert_int_equal(strategic_merge_patch(doc, ops, "Pod", fake_lookup, (void *)fake_schema,
					       &out, err, sizeof(err)), -EINVAL);
	assert_null(out);
	json_decref(ops);
	ops = js("{'a':1}");
	assert_int_equal(strategic_merge_patch(doc, ops, NULL, NULL, NULL, &out, err, sizeof(err)),
			 0);
	assert_true(json_equal(out, ops));
	json_decref(out);
	json_decref(ops);
	json_decref(doc);
}

/* Callers may pass no error buffer, or a short one: it comes back terminated. */
static void test_error_buffers(void **state)
{
	json_t *doc = js("{'a':1}"), *ops = js("[{'op':'test','path':'/a','value':2}]");
	json_t *smp = js("{'$retainKeys':'x'}");
	char err[8];

	(void)state;
	assert_null(json_patch_apply(doc, ops, NULL, 0));
	memset(err, 'x', sizeof(err));
	assert_null(json_patch_apply(doc, ops, err, sizeof(err)));
	assert_string_equal(err, "test op");
	assert_null(strategic_merge_patch_apply(doc, smp, NULL, NULL, NULL, NULL, 0));
	memset(err, 'x', sizeof(err));
	assert_null(strategic_merge_patch_apply(doc, smp, NULL, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "$retain");
	json_decref(smp);
	json_decref(ops);
	json_decref(doc);
}

/* jansson's allocator, made to refuse every request once `alloc_budget` runs out. */
static long alloc_budget = -1; /* allocations left; -1: no limit */
static bool alloc_refused;

static void *budget_malloc(size_t n)
{
	if (alloc_budget == 0) {
		alloc_refused = true;
		return NULL;
	}
	if (alloc_budget > 0)
		alloc_budget--;
	return malloc(n);
}

/*
 * Out of memory at each jansson allocation in turn, for every row: each run gives the
 * right answer or fails saying "out of memory", and leaks nothing (run under valgrind).
 */
static void check_row_oom(enum patch_kind kind, const struct row *r, size_t *failed)
{
	json_t *doc = r->doc ? js(r->doc) : NULL, *patch = js(r->patch);
	json_t *want = r->want ? js(r->want) : NULL, *got;
	char err[512];
	long budget;
	bool ok;

	for (budget = 0;; budget++) {
		err[0] = '\0';
		alloc_refused = false;
		alloc_budget = budget;
		got = apply(kind, r, doc, patch, err, sizeof(err));
		alloc_budget = -1;
		if (got)
			ok = want && json_equal(got, want);
		else if (alloc_refused)
			ok = kind == MERGE_PATCH || strstr(err, "out of memory") ||
			     (!want && strstr(err, r->err));
		else
			ok = !want && strstr(err, r->err);
		json_decref(got);
		if (!ok) {
			print_error("  %s: allocation %ld refused: %s\n", r->desc, budget,
				    got ? "wrong result" : err);
			(*failed)++;
			break;
		}
		if (!alloc_refused)
			break;
	}
	json_decref(want);
	json_decref(patch);
	json_decref(doc);
}

static void test_out_of_memory(void **state)
{
	static const struct {
		enum patch_kind kind;
		const struct row *rows;
		size_t n;
	} tables[] = {
		{ JSON_PATCH, json_patch_rows, ARRAY_SIZE(json_patch_rows) },
		{ MERGE_PATCH, merge_patch_rows, ARRAY_SIZE(merge_patch_rows) },
		{ STRATEGIC, smp_rows, ARRAY_SIZE(smp_rows) },
	};
	size_t t, i, failed = 0;

	(void)state;
	json_set_alloc_funcs(budget_malloc, free);
	for (t = 0; t < ARRAY_SIZE(tables); t++)
		for (i = 0; i < tables[t].n; i++)
			check_row_oom(tables[t].kind, &tables[t].rows[i], &failed);
	json_set_alloc_funcs(malloc, free);
	if (failed)
		fail_msg("%zu rows misbehaved out of memory", failed);
}

/* A NULL lookup knows no field: containers are then an opaque list and get replaced. */
static void test_smp_without_lookup(void **state)
{
	json_t *doc = js("{'spec':{'containers':[{'name':'a'}]}}");
	json_t *patch = js("{'spec':{'containers':[{'name':'b'}]}}");
	json_t *want = js("{'spec':{'containers':[{'name':'b'}]}}"), *got;
	char err[256];

	(void)state;
	got = strategic_merge_patch_apply(doc, patch, "Pod", NULL, NULL, err, sizeof(err));
	assert_non_null(got);
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	json_decref(patch);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_patch_table),
		cmocka_unit_test(test_rfc6902_a13),
		cmocka_unit_test(test_merge_patch_table),
		cmocka_unit_test(test_strategic_merge_patch_table),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_error_buffers),
		cmocka_unit_test(test_smp_without_lookup),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
