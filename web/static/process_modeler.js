/* The process editor (staff/process_editor.html): bpmn-js's Modeler with our own properties form beside it.

   The form edits what Meldpunt's models use (docs/process-models.md), always through bpmn-js's own APIs
   (modeling.updateProperties / updateModdleProperties / updateLabel, moddle.create), so every change is on the
   modeler's command stack (undo works) and in saveXML:
   - spiffworkflow:properties/property (status, status_label_nl/en, form, field.<name> with a JSON value);
   - spiffworkflow:serviceTaskOperator(id)/parameters/parameter(id, type, value);
   - a lane's name (its group role), a timer's timeDuration/timeDate/timeCycle, a sequence flow's condition.
   "Controleren" and "In gebruik nemen" post the XML (fields xml and csrf_token) and show the problems the
   server lists; a problem selects its element, and every element with a problem gets a red marker. */
(function () {
  "use strict";

  var SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  // The part of SpiffWorkflow's extension this project uses, so that it reads, edits and writes back as such.
  function textElement(name) {
    return { name: name, superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] };
  }
  function attr(name) {
    return { name: name, type: "String", isAttr: true };
  }
  // SpiffWorkflow's extension (its spiffworkflow.xsd, and what its parser reads), so that every part of it
  // reads, edits and writes back as such: an element of the namespace missing here would be dropped on saving.
  var SPIFF_DESCRIPTOR = {
    name: "SpiffWorkflow",
    uri: SPIFF_NS,
    prefix: "spiffworkflow",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      { name: "Properties", superClass: ["Element"],
        properties: [{ name: "properties", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"],
        properties: [attr("name"), attr("value"), { name: "body", type: "String", isBody: true }] },
      { name: "ServiceTaskOperator", superClass: ["Element"],
        properties: [attr("id"), attr("resultVariable"), { name: "parameterList", type: "Parameters" },
                     { name: "retry", type: "Retry" }] },
      { name: "Parameters", superClass: ["Element"],
        properties: [{ name: "parameters", type: "Parameter", isMany: true }] },
      { name: "Parameter", superClass: ["Element"],
        properties: [attr("id"), attr("type"), attr("value"), { name: "body", type: "String", isBody: true }] },
      { name: "Retry", superClass: ["Element"], properties: [attr("retries"), attr("backoff_base")] },
      { name: "UnitTests", superClass: ["Element"],
        properties: [{ name: "unitTests", type: "UnitTest", isMany: true }] },
      { name: "UnitTest", superClass: ["Element"],
        properties: [attr("id"), { name: "inputJson", type: "InputJson" },
                     { name: "expectedOutputJson", type: "ExpectedOutputJson" }] },
      { name: "TaskMetadataValues", superClass: ["Element"],
        properties: [{ name: "values", type: "TaskMetadataValue", isMany: true }] },
      { name: "TaskMetadataValue", superClass: ["Element"], properties: [attr("name"), attr("value")] },
      { name: "ProcessVariableCorrelation", superClass: ["Element"],
        properties: [{ name: "propertyId", type: "PropertyId" }, { name: "expression", type: "Expression" }] }
    ].concat(["CalledDecisionId", "InstructionsForEndUser", "MessagePayload", "MessageVariable",
              "PayloadExpression", "VariableName", "PreScript", "PostScript", "InputJson", "ExpectedOutputJson",
              "PropertyId", "Expression"].map(textElement))
  };
  var FIELD_NAME = /^[a-z][a-z0-9_]{0,39}$/;
  var ISO_DURATION = /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
  var ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
  var ISO_CYCLE = /^R\d*\/\S+$/;
  var TIMER_KINDS = ["timeDuration", "timeDate", "timeCycle"];

  var container = document.getElementById("modeler-canvas");
  if (!container || !window.BpmnJS) {
    return;
  }
  var config = JSON.parse(container.getAttribute("data-config"));
  var csrf = container.getAttribute("data-csrf");
  var texts = config.texts;
  var panel = document.getElementById("element-form");
  var statusLine = document.getElementById("modeler-status");
  var problemList = document.getElementById("model-problems");
  var buttons = {
    check: document.getElementById("check-model"),
    deploy: document.getElementById("deploy-model"),
    download: document.getElementById("download-model")
  };

  function t(key, values) {
    return texts[key].replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  // Without the "align elements" entry: its menu draws its icons with style attributes, which the CSP refuses.
  var WITHOUT_ALIGN_MENU = { alignElementsContextPadProvider: ["value", {}], alignElementsMenuProvider: ["value", {}] };
  var modeler = new window.BpmnJS({ container: container, moddleExtensions: { spiffworkflow: SPIFF_DESCRIPTOR },
                                    additionalModules: [WITHOUT_ALIGN_MENU] });
  window.processModeler = modeler; // for the browser tests and the curious admin's console
  var modeling = modeler.get("modeling");
  var moddle = modeler.get("moddle");
  var elementRegistry = modeler.get("elementRegistry");
  var selection = modeler.get("selection");
  var canvas = modeler.get("canvas");
  var eventBus = modeler.get("eventBus");

  var writing = 0; // >0 while the form itself changes the model: no re-render under the admin's cursor
  var dirty = false;
  var current = null; // the element the form shows
  var stash = {}; // per element id: the form or the fields set aside when switching between them
  var marked = [];
  var uid = 0;

  // ---- reading the model --------------------------------------------------------------------------------

  function is(bo, type) {
    return Boolean(bo && bo.$instanceOf && bo.$instanceOf(type));
  }

  function extensionValues(bo) {
    return (bo.extensionElements && bo.extensionElements.get("values")) || [];
  }

  function findExtension(bo, type) {
    return extensionValues(bo).filter(function (v) { return v.$type === type; })[0] || null;
  }

  function spiffProperties(bo) {
    var holder = findExtension(bo, "spiffworkflow:Properties");
    return holder ? holder.get("properties") : [];
  }

  function property(bo, name) {
    var found = spiffProperties(bo).filter(function (p) { return p.name === name; })[0];
    return found && found.value != null ? found.value : "";
  }

  function isField(p) {
    return typeof p.name === "string" && p.name.indexOf("field.") === 0;
  }

  function readFields(bo) {
    return spiffProperties(bo).filter(isField).map(function (p) {
      var spec = null;
      try {
        spec = JSON.parse(p.value || "");
      } catch (err) {
        spec = null;
      }
      if (!spec || typeof spec !== "object" || Array.isArray(spec)) {
        spec = { type: "text", label: { nl: "" }, required: false };
      }
      if (!spec.label || typeof spec.label !== "object") {
        spec.label = { nl: typeof spec.label === "string" ? spec.label : "" };
      }
      if (!Array.isArray(spec.choices)) {
        spec.choices = [];
      }
      spec.choices = spec.choices.map(function (c) {
        var label = c && typeof c.label === "object" && c.label ? c.label : { nl: c && c.label ? String(c.label) : "" };
        return { value: c && c.value != null ? String(c.value) : "", label: label };
      });
      return { name: p.name.slice("field.".length), spec: spec };
    });
  }

  function timerDefinition(bo) {
    return (bo.eventDefinitions || []).filter(function (d) { return is(d, "bpmn:TimerEventDefinition"); })[0] || null;
  }

  function operatorElement(bo) {
    return findExtension(bo, "spiffworkflow:ServiceTaskOperator");
  }

  // ---- writing the model (always through bpmn-js, one command per change where possible) -------------

  function create(type, attrs, parent) {
    var element = moddle.create(type, attrs);
    element.$parent = parent;
    return element;
  }

  function write(fn) {
    writing += 1;
    try {
      fn();
    } finally {
      writing -= 1;
    }
  }

  function ensureExtensionElements(element) {
    var bo = element.businessObject;
    if (!bo.extensionElements) {
      modeling.updateProperties(element, { extensionElements: create("bpmn:ExtensionElements", { values: [] }, bo) });
    }
    return bo.extensionElements;
  }

  function ensurePropertiesHolder(element) {
    var ext = ensureExtensionElements(element);
    var holder = findExtension(element.businessObject, "spiffworkflow:Properties");
    if (!holder) {
      holder = create("spiffworkflow:Properties", { properties: [] }, ext);
      modeling.updateModdleProperties(element, ext, { values: ext.get("values").concat([holder]) });
    }
    return holder;
  }

  // changes: {name: value}; an empty value removes the property; order is kept, new ones come last.
  function setProperties(element, changes) {
    write(function () {
      var holder = ensurePropertiesHolder(element);
      var list = holder.get("properties").slice();
      var changed = false;
      Object.keys(changes).forEach(function (name) {
        var value = changes[name];
        var index = list.map(function (p) { return p.name; }).indexOf(name);
        if (value === null || value === undefined || value === "") {
          if (index >= 0) {
            list.splice(index, 1);
            changed = true;
          }
        } else if (index >= 0) {
          if (list[index].value !== value) {
            list[index] = create("spiffworkflow:Property", { name: name, value: value }, holder);
            changed = true;
          }
        } else {
          list.push(create("spiffworkflow:Property", { name: name, value: value }, holder));
          changed = true;
        }
      });
      if (changed) {
        modeling.updateModdleProperties(element, holder, { properties: list });
      }
    });
  }

  function fieldValue(spec) {
    // Keep what we do not edit (a key another part of Meldpunt may read), write what we do in a fixed shape.
    var out = {};
    Object.keys(spec).forEach(function (key) { out[key] = spec[key]; });
    out.type = spec.type || "text";
    out.label = { nl: (spec.label && spec.label.nl) || "" };
    if (spec.label && spec.label.en) {
      out.label.en = spec.label.en;
    }
    out.required = Boolean(spec.required);
    if (out.type === "choice") {
      out.choices = (spec.choices || []).map(function (c) {
        var label = { nl: (c.label && c.label.nl) || "" };
        if (c.label && c.label.en) {
          label.en = c.label.en;
        }
        return { value: c.value, label: label };
      });
    } else {
      delete out.choices;
    }
    return JSON.stringify(out);
  }

  // The fields replace every field.* property, at the place of the first one.
  function writeFields(element, fields) {
    write(function () {
      var holder = ensurePropertiesHolder(element);
      var old = holder.get("properties");
      var others = old.filter(function (p) { return !isField(p); });
      var first = old.map(isField).indexOf(true);
      var at = first < 0 ? others.length : old.slice(0, first).filter(function (p) { return !isField(p); }).length;
      var made = fields.map(function (f) {
        return create("spiffworkflow:Property", { name: "field." + f.name, value: fieldValue(f.spec) }, holder);
      });
      modeling.updateModdleProperties(element, holder, { properties: others.slice(0, at).concat(made, others.slice(at)) });
    });
  }

  function setName(element, name) {
    write(function () {
      if ((element.businessObject.name || "") !== name) {
        modeling.updateLabel(element, name);
      }
    });
  }

  function setOperator(element, name) {
    write(function () {
      var ext = ensureExtensionElements(element);
      var op = operatorElement(element.businessObject);
      if (!op) {
        op = create("spiffworkflow:ServiceTaskOperator", { id: name }, ext);
        op.parameterList = create("spiffworkflow:Parameters", { parameters: [] }, op);
        modeling.updateModdleProperties(element, ext, { values: ext.get("values").concat([op]) });
      } else {
        modeling.updateModdleProperties(element, op, { id: name });
      }
      // The operator's own parameters are offered at once (empty), the ones already there stay.
      var declared = operatorParameters(name);
      var params = readParameters(element.businessObject);
      var known = params.map(function (p) { return p.id; });
      var missing = declared.filter(function (p) { return known.indexOf(p) < 0; });
      if (missing.length) {
        writeParameters(element, params.concat(missing.map(function (p) { return { id: p, type: "str", value: "" }; })));
      }
    });
  }

  function operatorParameters(name) {
    var found = config.operators.filter(function (o) { return o.name === name; })[0];
    return found ? found.parameters : [];
  }

  function readParameters(bo) {
    var op = operatorElement(bo);
    var list = op && op.parameterList ? op.parameterList.get("parameters") : [];
    return list.map(function (p) { return { id: p.id || "", type: p.type || "", value: p.value || "" }; });
  }

  function writeParameters(element, params) {
    write(function () {
      var op = operatorElement(element.businessObject);
      if (!op) {
        return;
      }
      var holder = op.parameterList;
      if (!holder) {
        holder = create("spiffworkflow:Parameters", { parameters: [] }, op);
        modeling.updateModdleProperties(element, op, { parameterList: holder });
      }
      var made = params.map(function (p) {
        var attrs = { id: p.id, value: p.value };
        if (p.type) {
          attrs.type = p.type;
        }
        return create("spiffworkflow:Parameter", attrs, holder);
      });
      modeling.updateModdleProperties(element, holder, { parameters: made });
    });
  }

  // A timer literal is shown without its quotes (P14D) and written as the string expression "P14D".
  function timerShown(body) {
    var m = /^\s*(["'])(.*)\1\s*$/.exec(body || "");
    if (m && (ISO_DURATION.test(m[2]) || ISO_DATE.test(m[2]) || ISO_CYCLE.test(m[2]))) {
      return m[2];
    }
    return body || "";
  }

  function timerStored(typed) {
    var value = typed.trim();
    if (ISO_DURATION.test(value) || ISO_DATE.test(value) || ISO_CYCLE.test(value)) {
      return "\"" + value + "\"";
    }
    return value;
  }

  function timerKind(def) {
    return TIMER_KINDS.filter(function (k) { return def.get(k); })[0] || "timeDuration";
  }

  function setTimer(element, kind, typed) {
    write(function () {
      var def = timerDefinition(element.businessObject);
      var changes = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      var stored = timerStored(typed);
      if (stored) {
        changes[kind] = create("bpmn:FormalExpression", { body: stored }, def);
      }
      modeling.updateModdleProperties(element, def, changes);
    });
  }

  function setCondition(element, text) {
    write(function () {
      var bo = element.businessObject;
      var value = text.trim();
      var old = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
      if (value === old) {
        return;
      }
      modeling.updateProperties(element, {
        conditionExpression: value ? create("bpmn:FormalExpression", { body: value }, bo) : undefined
      });
    });
  }

  // ---- the form --------------------------------------------------------------------------------------

  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) {
        return;
      }
      if (key === "text") {
        node.textContent = value;
      } else if (key === "on") {
        Object.keys(value).forEach(function (event) { node.addEventListener(event, value[event]); });
      } else if (key === "className") {
        node.className = value;
      } else if (value === true) {
        node.setAttribute(key, "");
      } else {
        node.setAttribute(key, value);
      }
    });
    (children || []).forEach(function (child) {
      if (child) {
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  function nextId(prefix) {
    uid += 1;
    return prefix + "-" + uid;
  }

  // A labelled text input (or textarea) that writes on change; returns [label, input, help].
  function textInput(label, value, onChange, options) {
    options = options || {};
    var id = nextId("prop");
    var input = h(options.multiline ? "textarea" : "input", {
      id: id, type: options.multiline ? null : "text", name: options.name || null, list: options.list || null,
      "data-prop": options.prop || null, autocomplete: "off", on: {
        change: function () { onChange(input.value); },
        input: function () {
          if (options.onInput) {
            options.onInput(input.value);
          }
        }
      }
    });
    input.value = value || "";
    return [h("label", { "for": id, text: label }), input,
            options.help ? h("p", { className: "help", text: options.help }) : null];
  }

  function selectInput(label, value, choices, onChange, options) {
    options = options || {};
    var id = nextId("prop");
    var select = h("select", { id: id, "data-prop": options.prop || null,
                               on: { change: function () { onChange(select.value); } } });
    if (options.placeholder !== undefined) {
      select.appendChild(h("option", { value: "", text: options.placeholder }));
    }
    var values = choices.map(function (c) { return c.value; });
    if (value && values.indexOf(value) < 0) {
      choices = choices.concat([{ value: value, label: value }]);
    }
    choices.forEach(function (c) {
      select.appendChild(h("option", { value: c.value, text: c.label }));
    });
    select.value = value || "";
    return [h("label", { "for": id, text: label }), select,
            options.help ? h("p", { className: "help", text: options.help }) : null];
  }

  function checkbox(label, checked, onChange, options) {
    options = options || {};
    var id = nextId("prop");
    var box = h("input", { type: "checkbox", id: id, "data-prop": options.prop || null,
                           on: { change: function () { onChange(box.checked); } } });
    box.checked = Boolean(checked);
    return h("p", {}, [box, " ", h("label", { "for": id, className: "plain", text: label })]);
  }

  function section(title, children) {
    return h("section", {}, [h("h3", { text: title })].concat(children));
  }

  function flat(list) {
    return list.reduce(function (out, item) { return out.concat(Array.isArray(item) ? flat(item) : [item]); }, []);
  }

  function statusSection(element) {
    var bo = element.businessObject;
    var key = property(bo, "status");
    var hint = h("p", { className: "help" });
    function showHint(value) {
      var known = config.statuses.filter(function (s) { return s.key === value; })[0];
      hint.className = known || !value ? "help" : "warning";
      hint.textContent = known ? t("status_known", { label: known.label }) : value ? t("status_new") : "";
    }
    showHint(key);
    var listId = "known-statuses";
    return section(t("status"), flat([
      h("p", { className: "help", text: t("status_help") }),
      textInput(t("status_key"), key, function (value) {
        setProperties(element, { status: value.trim() });
        showHint(value.trim());
      }, { list: listId, prop: "status", onInput: function (value) { showHint(value.trim()); } }),
      hint,
      textInput(t("label_nl"), property(bo, "status_label_nl"), function (value) {
        setProperties(element, { status_label_nl: value.trim() });
      }, { prop: "status_label_nl" }),
      textInput(t("label_en"), property(bo, "status_label_en"), function (value) {
        setProperties(element, { status_label_en: value.trim() });
      }, { prop: "status_label_en" })
    ]));
  }

  function formSection(element) {
    var bo = element.businessObject;
    var formKey = property(bo, "form");
    var fields = readFields(bo);
    var saved = stash[element.id] || (stash[element.id] = {});
    var mode = formKey ? "builtin" : fields.length ? "fields" : saved.mode || "fields";
    var group = nextId("form-mode");

    function radio(value, label) {
      var id = nextId("prop");
      var input = h("input", { type: "radio", name: group, id: id, value: value, "data-prop": "form-mode",
                               on: { change: function () { switchMode(value); } } });
      input.checked = mode === value;
      return h("span", {}, [input, " ", h("label", { "for": id, className: "plain", text: label }), " "]);
    }

    // What the other choice held is set aside, and comes back when the admin switches back.
    function switchMode(value) {
      saved.mode = value;
      if (value === "builtin") {
        saved.fields = readFields(element.businessObject);
        writeFields(element, []);
        if (saved.form) {
          setProperties(element, { form: saved.form });
        }
      } else {
        saved.form = property(element.businessObject, "form") || saved.form;
        setProperties(element, { form: "" });
        if (saved.fields && saved.fields.length) {
          writeFields(element, saved.fields);
        }
      }
      render(element);
    }

    var children = [h("p", {}, [radio("builtin", t("form_builtin")), radio("fields", t("form_fields"))])];
    if (mode === "builtin") {
      children = children.concat(selectInput(t("form"), formKey, config.forms.map(function (f) {
        return { value: f.key, label: f.label + " (" + f.key + ")" };
      }), function (value) {
        saved.form = value;
        setProperties(element, { form: value });
      }, { placeholder: t("form_choose"), prop: "form" }));
    } else {
      children.push(fieldsEditor(element, fields));
    }
    return section(t("form"), flat(children));
  }

  function fieldsEditor(element, fields) {
    var box = h("div", { id: "form-fields" });
    function save() {
      writeFields(element, fields);
    }
    fields.forEach(function (field, index) {
      box.appendChild(fieldEditor(element, fields, field, index, save));
    });
    box.appendChild(h("button", { type: "button", className: "secondary small", "data-action": "add-field",
      text: t("add_field"), on: { click: function () {
        var names = fields.map(function (f) { return f.name; });
        var n = fields.length + 1;
        while (names.indexOf("veld_" + n) >= 0) {
          n += 1;
        }
        fields.push({ name: "veld_" + n, spec: { type: "text", label: { nl: "" }, required: false, choices: [] } });
        save();
        render(element);
        var inputs = panel.querySelectorAll("[data-prop=field-name]");
        if (inputs.length) {
          inputs[inputs.length - 1].focus();
          inputs[inputs.length - 1].select();
        }
      } } }));
    return box;
  }

  function fieldEditor(element, fields, field, index, save) {
    var spec = field.spec;
    var nameCheck = h("p", { className: "invalid" });
    function checkName(value) {
      var double = fields.some(function (f, i) { return i !== index && f.name === value; });
      nameCheck.textContent = !FIELD_NAME.test(value) ? t("field_name_bad") : double ? t("field_name_double") : "";
      nameCheck.hidden = !nameCheck.textContent;
    }
    checkName(field.name);
    var parts = flat([
      textInput(t("field_name"), field.name, function (value) {
        field.name = value.trim();
        checkName(field.name);
        save();
      }, { help: t("field_name_help"), prop: "field-name" }),
      nameCheck,
      selectInput(t("field_type"), spec.type, config.fieldTypes, function (value) {
        spec.type = value;
        save();
        render(element);
      }, { prop: "field-type" }),
      textInput(t("label_nl"), spec.label.nl, function (value) {
        spec.label.nl = value.trim();
        save();
      }, { prop: "field-label-nl" }),
      textInput(t("label_en"), spec.label.en, function (value) {
        spec.label.en = value.trim();
        save();
      }, { prop: "field-label-en" }),
      checkbox(t("required"), spec.required, function (value) {
        spec.required = value;
        save();
      }, { prop: "field-required" })
    ]);
    if (spec.type === "choice") {
      parts.push(choicesEditor(element, spec, save));
    }
    var actions = [h("button", { type: "button", className: "secondary small", "data-action": "remove-field",
      text: t("remove_field"), on: { click: function () {
        fields.splice(index, 1);
        save();
        render(element);
      } } })];
    if (index > 0) {
      actions.push(" ");
      actions.push(h("button", { type: "button", className: "secondary small", "data-action": "move-field-up",
        text: t("move_up"), on: { click: function () {
          fields.splice(index - 1, 0, fields.splice(index, 1)[0]);
          save();
          render(element);
        } } }));
    }
    parts.push(h("p", {}, actions));
    return h("fieldset", { "data-field": field.name },
             [h("legend", { text: t("field") + " " + (index + 1) })].concat(parts));
  }

  function choicesEditor(element, spec, save) {
    var box = h("div", { className: "choices" }, [h("h4", { text: t("choices") })]);
    spec.choices.forEach(function (choice, index) {
      box.appendChild(h("div", { className: "choice", "data-choice": String(index) }, flat([
        textInput(t("choice_value"), choice.value, function (value) {
          choice.value = value.trim();
          save();
        }, { prop: "choice-value" }),
        textInput(t("label_nl"), choice.label.nl, function (value) {
          choice.label.nl = value.trim();
          save();
        }, { prop: "choice-label-nl" }),
        textInput(t("label_en"), choice.label.en, function (value) {
          choice.label.en = value.trim();
          save();
        }, { prop: "choice-label-en" }),
        h("p", {}, [h("button", { type: "button", className: "secondary small", "data-action": "remove-choice",
          text: t("remove_choice"), on: { click: function () {
            spec.choices.splice(index, 1);
            save();
            render(element);
          } } })])
      ])));
    });
    box.appendChild(h("button", { type: "button", className: "secondary small", "data-action": "add-choice",
      text: t("add_choice"), on: { click: function () {
        spec.choices.push({ value: "", label: { nl: "" } });
        save();
        render(element);
      } } }));
    return box;
  }

  function laneSection(element) {
    var name = element.businessObject.name || "";
    var known = config.lanes.map(function (l) { return l.name; });
    var warning = h("p", { className: "warning", text: t("lane_unknown") });
    warning.hidden = !name || known.indexOf(name) >= 0;
    return section(t("lane"), flat([
      selectInput(t("lane"), name, config.lanes.map(function (l) {
        return { value: l.name, label: l.name + " – " + l.label };
      }), function (value) {
        setName(element, value);
        warning.hidden = known.indexOf(value) >= 0;
      }, { help: t("lane_help"), prop: "lane", placeholder: "" }),
      warning
    ]));
  }

  function operatorSection(element) {
    var bo = element.businessObject;
    var op = operatorElement(bo);
    var name = op ? op.id || "" : "";
    var names = config.operators.map(function (o) { return o.name; });
    var warning = h("p", { className: "warning", text: t("operator_unknown") });
    warning.hidden = !name || names.indexOf(name) >= 0;
    var params = readParameters(bo);
    var rows = h("div", { id: "operator-parameters" });
    function save() {
      writeParameters(element, params);
    }
    params.forEach(function (param, index) {
      rows.appendChild(h("fieldset", { "data-parameter": param.id }, flat([
        h("legend", { text: param.id || "…" }),
        textInput(t("parameter_id"), param.id, function (value) {
          param.id = value.trim();
          save();
        }, { prop: "parameter-id" }),
        textInput(t("parameter_type"), param.type, function (value) {
          param.type = value.trim();
          save();
        }, { prop: "parameter-type" }),
        textInput(t("parameter_value"), param.value, function (value) {
          param.value = value.trim();
          save();
        }, { prop: "parameter-value" }),
        h("p", {}, [h("button", { type: "button", className: "secondary small", "data-action": "remove-parameter",
          text: t("remove_parameter"), on: { click: function () {
            params.splice(index, 1);
            save();
            render(element);
          } } })])
      ])));
    });
    var children = flat([
      selectInput(t("operator"), name, config.operators.map(function (o) {
        return { value: o.name, label: o.name };
      }), function (value) {
        if (value) {
          setOperator(element, value);
          render(element);
        }
      }, { placeholder: t("operator_choose"), prop: "operator" }),
      warning
    ]);
    if (op) {
      children.push(h("h4", { text: t("parameters") }));
      children.push(h("p", { className: "help", text: t("parameter_help") }));
      children.push(rows);
      children.push(h("button", { type: "button", className: "secondary small", "data-action": "add-parameter",
        text: t("add_parameter"), on: { click: function () {
          params.push({ id: "", type: "str", value: "" });
          save();
          render(element);
        } } }));
    }
    return section(t("operator"), children);
  }

  function timerSection(element) {
    var def = timerDefinition(element.businessObject);
    var kind = timerKind(def);
    var expression = def.get(kind) ? def.get(kind).body || "" : "";
    var input;
    var parts = textInput(t("timer_expression"), timerShown(expression), function (value) {
      setTimer(element, kindSelect[1].value, value);
    }, { help: t("timer_help"), prop: "timer-expression" });
    input = parts[1];
    var kindSelect = selectInput(t("timer_kind"), kind, config.timerKinds, function (value) {
      setTimer(element, value, input.value);
    }, { prop: "timer-kind" });
    return section(t("timer"), flat([kindSelect, parts]));
  }

  function flowSection(element) {
    var bo = element.businessObject;
    var children = textInput(t("condition"), bo.conditionExpression ? bo.conditionExpression.body || "" : "",
      function (value) { setCondition(element, value); },
      { multiline: true, help: t("condition_help"), prop: "condition" });
    var source = element.source;
    if (source && (is(source.businessObject, "bpmn:ExclusiveGateway") ||
                   is(source.businessObject, "bpmn:InclusiveGateway"))) {
      children.push(checkbox(t("default_flow"), source.businessObject.default === bo, function (value) {
        write(function () {
          modeling.updateProperties(source, { "default": value ? bo : undefined });
        });
        render(element); // bpmn-js drops the condition of a flow that becomes the default
      }, { prop: "default-flow" }));
    }
    return section(t("condition"), flat(children));
  }

  function render(element) {
    current = element;
    panel.textContent = "";
    var bo = element && element.businessObject;
    if (!bo || element === canvas.getRootElement() || element.type === "label") {
      if (element && element.type === "label" && element.labelTarget) {
        render(element.labelTarget);
        return;
      }
      panel.appendChild(h("p", { className: "muted", text: t("nothing_selected") }));
      return;
    }
    panel.appendChild(h("p", { className: "muted", "data-element-id": bo.id },
                        [t("element") + ": " + bo.$type.replace("bpmn:", "") + " · " + t("id") + ": " + bo.id]));
    var parts = [];
    if (is(bo, "bpmn:Lane")) {
      parts.push(laneSection(element));
    } else {
      parts = parts.concat(textInput(t("name"), bo.name || "", function (value) { setName(element, value); },
                                     { prop: "name" }));
    }
    if (is(bo, "bpmn:FlowNode") && !is(bo, "bpmn:Gateway")) {
      parts.push(statusSection(element));
    }
    if (is(bo, "bpmn:UserTask")) {
      parts.push(formSection(element));
    }
    if (is(bo, "bpmn:ServiceTask")) {
      parts.push(operatorSection(element));
    }
    if (is(bo, "bpmn:Event") && timerDefinition(bo)) {
      parts.push(timerSection(element));
    }
    if (is(bo, "bpmn:SequenceFlow")) {
      parts.push(flowSection(element));
    }
    flat(parts).forEach(function (part) {
      if (part) {
        panel.appendChild(part);
      }
    });
  }

  function knownStatusList() {
    var list = h("datalist", { id: "known-statuses" });
    config.statuses.forEach(function (s) {
      list.appendChild(h("option", { value: s.key, label: s.label }));
    });
    return list;
  }

  // ---- check, deploy, download -------------------------------------------------------------------------

  function say(text, kind) {
    statusLine.textContent = text;
    statusLine.className = kind || "";
  }

  function clearProblems() {
    marked.forEach(function (id) {
      if (elementRegistry.get(id)) {
        canvas.removeMarker(id, "process-problem");
      }
    });
    marked = [];
    problemList.textContent = "";
    problemList.hidden = true;
  }

  function showProblems(problems) {
    clearProblems();
    problems.forEach(function (problem) {
      var id = problem.element_id || "";
      var element = id ? elementRegistry.get(id) : null;
      var where = [];
      if (problem.element_name || id) {
        where.push(problem.element_name ? problem.element_name + (id ? " (" + id + ")" : "") : id);
      }
      if (problem.line) {
        where.push(t("line", { line: problem.line }));
      }
      var text = (where.length ? where.join(", ") + ": " : "") + (problem.message || "");
      var item;
      if (element) {
        if (marked.indexOf(id) < 0) {
          canvas.addMarker(id, "process-problem");
          marked.push(id);
        }
        item = h("li", {}, [h("button", { type: "button", "data-element": id, text: text, on: { click: function () {
          selection.select(element);
          canvas.scrollToElement(element);
        } } })]);
      } else {
        item = h("li", { text: text });
      }
      problemList.appendChild(item);
    });
    problemList.hidden = !problems.length;
  }

  function flushFocused() {
    var active = document.activeElement;
    if (active && panel.contains(active) && /^(INPUT|TEXTAREA)$/.test(active.tagName)) {
      active.dispatchEvent(new Event("change"));
    }
  }

  function busy(on) {
    Object.keys(buttons).forEach(function (k) { buttons[k].disabled = on; });
  }

  function send(url, busyText) {
    flushFocused();
    busy(true);
    say(busyText);
    return modeler.saveXML({ format: true }).then(function (result) {
      // URL-encoded, not multipart: FormData would turn every line break into CRLF, and the XML must arrive as is.
      var body = new URLSearchParams();
      body.append("xml", result.xml);
      body.append("csrf_token", csrf);
      return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                          headers: { "Accept": "application/json", "X-CSRFToken": csrf } });
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("json") < 0) {
        return { status: response.status, redirected: response.redirected, data: null };
      }
      return response.json().then(function (data) {
        return { status: response.status, data: data };
      });
    }).then(function (answer) {
      busy(false);
      return answer;
    }, function (err) {
      busy(false);
      throw err;
    });
  }

  function problemAnswer(answer) {
    var data = answer.data;
    if (data && Array.isArray(data.problems) && (answer.status === 200 || answer.status === 422) && !data.ok) {
      showProblems(data.problems);
      say(t("problems_found", { count: data.problems.length }), "error");
      return true;
    }
    return false;
  }

  function failure(answer) {
    if (answer.status === 403) {
      say(t("forbidden"), "error");
    } else if (answer.status === 400 || answer.status === 401 || answer.redirected) {
      say(t("expired"), "error");
    } else {
      say(t("failed", { status: answer.status }), "error");
    }
  }

  function offline() {
    busy(false);
    say(t("offline"), "error");
  }

  buttons.check.addEventListener("click", function () {
    send(config.checkUrl, t("checking")).then(function (answer) {
      if (problemAnswer(answer)) {
        return;
      }
      if (answer.status === 200 && answer.data && answer.data.ok) {
        clearProblems();
        say(t("no_problems"), "ok");
        return;
      }
      failure(answer);
    }, offline);
  });

  buttons.deploy.addEventListener("click", function () {
    send(config.deployUrl, t("deploying")).then(function (answer) {
      if (problemAnswer(answer)) {
        return;
      }
      var data = answer.data;
      if (answer.status < 300 && data && data.ok) {
        clearProblems();
        dirty = false;
        say(t("deployed", { version: data.version }), "ok");
        if (data.url) {
          statusLine.appendChild(document.createTextNode(" "));
          statusLine.appendChild(h("a", { href: data.url, text: t("deployed_link") }));
        }
        return;
      }
      failure(answer);
    }, offline);
  });

  buttons.download.addEventListener("click", function () {
    flushFocused();
    modeler.saveXML({ format: true }).then(function (result) {
      var url = URL.createObjectURL(new Blob([result.xml], { type: "application/xml" }));
      var link = h("a", { href: url, download: container.getAttribute("data-filename") });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    });
  });

  // ---- wiring ------------------------------------------------------------------------------------------

  panel.parentNode.appendChild(knownStatusList());

  eventBus.on("selection.changed", function (event) {
    render(event.newSelection.length === 1 ? event.newSelection[0] : null);
  });
  eventBus.on("elements.changed", function (event) {
    if (writing || !current) {
      return;
    }
    var touched = event.elements.some(function (e) { return e === current || e.id === current.id; });
    if (touched) {
      render(elementRegistry.get(current.id) || null);
    }
  });
  eventBus.on("commandStack.changed", function (event) {
    if (event.trigger !== "clear") {
      dirty = true;
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = t("unsaved");
    }
  });

  modeler.importXML(container.getAttribute("data-xml")).then(function (result) {
    canvas.zoom("fit-viewport");
    if (result.warnings && result.warnings.length) {
      say(t("import_warnings", { count: result.warnings.length }) + " " + result.warnings.map(function (w) {
        return w.message;
      }).join("; "), "error");
    }
    busy(false);
    container.setAttribute("data-ready", "true");
  }).catch(function (err) {
    say(t("load_failed", { error: err && err.message ? err.message : String(err) }), "error");
  });
}());
